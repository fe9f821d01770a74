// The files our own images were read from, by the bytes handed to the mesh: the sender shows and
// keeps its own image as a slice of the picked File, which the browser already holds, instead of
// copying 5 MiB into a new Blob while the same image is being sent (client/mesh/README.md, issue 14).

const sources = new WeakMap<Uint8Array, Blob>();

export function rememberSource(bytes: Uint8Array, file: Blob): void {
  sources.set(bytes, file);
}

/** The remembered file as a Blob of `type` (the type sniffed from the bytes, never the file's own), or undefined. */
export function sourceBlob(bytes: Uint8Array, type: string): Blob | undefined {
  const file = sources.get(bytes);
  if (!file || file.size !== bytes.byteLength) return undefined;
  return file.slice(0, file.size, type);
}
