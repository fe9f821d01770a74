// Peer frames of an image built by hand, as a hostile or buggy sender would send them: the start
// may lie, chunks may come in any order, the SHA-256 may be wrong.

import { FrameType, encodeFrame, newMessageId } from '../../shared/frames';
import { CHUNK_BYTES } from '../../shared/limits';
import { sha256Hex } from '../../shared/sha256';

export interface RogueImageOptions {
  /** Overrides of the IMAGE_START body. */
  start?: Record<string, unknown>;
  /** Chunk indexes in sending order (default: all, in order). */
  order?: number[];
  /** SHA-256 in IMAGE_END (default: the real one). */
  sha256?: string;
}

/** IMAGE_START body for `bytes` (overrides may lie about it). */
export function rogueImageStart(bytes: Uint8Array, overrides: Record<string, unknown> = {}) {
  return { sentAt: Date.now(), name: 'x.png', mime: 'image/png', size: bytes.byteLength, chunks: Math.ceil(bytes.byteLength / CHUNK_BYTES), ...overrides };
}

/** Start, chunks, end: the frames of one image and its message id. */
export function rogueImageFrames(bytes: Uint8Array, options: RogueImageOptions = {}): { id: string; frames: Uint8Array[] } {
  const id = newMessageId();
  const chunks = Math.ceil(bytes.byteLength / CHUNK_BYTES);
  const frames = [encodeFrame(FrameType.IMAGE_START, id, 0, rogueImageStart(bytes, options.start))];
  for (const i of options.order ?? Array.from({ length: chunks }, (_, k) => k)) frames.push(encodeFrame(FrameType.IMAGE_CHUNK, id, i, bytes.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES)));
  frames.push(encodeFrame(FrameType.IMAGE_END, id, chunks, { sha256: options.sha256 ?? sha256Hex(bytes) }));
  return { id, frames };
}
