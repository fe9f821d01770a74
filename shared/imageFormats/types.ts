/** What a format checker found: the dimensions a decoder would allocate for. */
export interface ImageSize {
  width: number;
  height: number;
}
