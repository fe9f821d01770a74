// Bounds-checked reads for the image format checkers: every read names what it wanted, and a
// read past the end refuses the image as truncated instead of yielding undefined.

import { ChatError } from '../errors';
import { IMAGE_MAX_FRAMES, IMAGE_MAX_TOTAL_FRAME_PIXELS } from '../limits';

/** Refuses the image. */
export function bad(reason: string): never {
  throw new ChatError('BAD_IMAGE', reason);
}

/** Refuses the image unless `end` (exclusive) is within `bytes`. */
export function need(bytes: Uint8Array, end: number, what: string): void {
  if (end > bytes.length) bad(`truncated: ${what} ends at byte ${end} of ${bytes.length}`);
}

export function u8(bytes: Uint8Array, at: number, what: string): number {
  need(bytes, at + 1, what);
  return bytes[at];
}

export function u16be(bytes: Uint8Array, at: number, what: string): number {
  need(bytes, at + 2, what);
  return (bytes[at] << 8) | bytes[at + 1];
}

export function u16le(bytes: Uint8Array, at: number, what: string): number {
  need(bytes, at + 2, what);
  return bytes[at] | (bytes[at + 1] << 8);
}

export function u24le(bytes: Uint8Array, at: number, what: string): number {
  need(bytes, at + 3, what);
  return bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16);
}

export function u32be(bytes: Uint8Array, at: number, what: string): number {
  need(bytes, at + 4, what);
  return ((bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3]) >>> 0;
}

export function u32le(bytes: Uint8Array, at: number, what: string): number {
  need(bytes, at + 4, what);
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;
}

/** Four bytes as ASCII (chunk types of PNG and RIFF). */
export function fourCC(bytes: Uint8Array, at: number, what: string): string {
  need(bytes, at + 4, what);
  return String.fromCharCode(bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]);
}

/** Refuses the image when anything follows its end marker: a second file glued on (a polyglot). */
export function nothingAfter(bytes: Uint8Array, end: number, marker: string): void {
  if (end !== bytes.length) bad(`${bytes.length - end} bytes after ${marker} (a second file appended?)`);
}

/** Refuses an animation of `frames` frames if that is over IMAGE_MAX_FRAMES (called as they are counted). */
export function frameCount(frames: number): void {
  if (frames > IMAGE_MAX_FRAMES) throw new ChatError('IMAGE_TOO_MANY_FRAMES', `${frames} animation frames, over ${IMAGE_MAX_FRAMES}`);
}

/**
 * Refuses an animation whose frames so far cover `pixels` in all (the sum of each frame's own
 * width x height) if that is over IMAGE_MAX_TOTAL_FRAME_PIXELS (called as each frame is added,
 * before its data is walked). The sum stays exact: it is checked after every frame of at most
 * 2^48 pixels, so it never passes 2^53.
 */
export function framePixels(pixels: number): void {
  if (pixels > IMAGE_MAX_TOTAL_FRAME_PIXELS) {
    throw new ChatError('IMAGE_TOO_MANY_PIXELS', `${pixels} pixels over the animation frames, over ${IMAGE_MAX_TOTAL_FRAME_PIXELS} in all`);
  }
}
