// Peer frames of an image built by hand, as a hostile or buggy sender would send them: the start
// may lie, chunks may come in any order, the SHA-256 may be wrong.

import { FrameType, encodeFrame, newMessageId } from '../../shared/frames';
import { CHUNK_BYTES } from '../../shared/limits';
import { sha256Hex } from '../../shared/sha256';
import { sniffImage } from '../../shared/imageSniff';
import { generateDeviceKey, type DeviceKeyPair } from '../../shared/deviceKey';
import { signContentText } from '../../shared/contentRecord';

/** Who signs a hand-made message: a device key and the account it claims to write for. */
export interface RogueSigner {
  key: DeviceKeyPair;
  author: string;
}

/** A TEXT frame signed by `signer` (a hand-driven peer's own key signs its own texts correctly). */
export function signedTextFrame(signer: RogueSigner, id: string, seq: number, body: { sentAt: number; text: string; base: number }): Uint8Array {
  const sig = signContentText(signer.key, { kind: 'text', author: signer.author, device: signer.key.publicKey, id, sentAt: body.sentAt, text: body.text });
  return encodeFrame(FrameType.TEXT, id, seq, { ...body, sig });
}

export interface RogueImageOptions {
  /** Overrides of the IMAGE_START body. */
  start?: Record<string, unknown>;
  /** Chunk indexes in sending order (default: all, in order). */
  order?: number[];
  /** SHA-256 in IMAGE_END (default: the real one). */
  sha256?: string;
  /**
   * Signs the image's content record (default: a throwaway key, which no receiver accepts). The
   * record holds the type sniffed from the bytes, as receivers verify it, whatever the start declares.
   */
  signer?: RogueSigner;
}

/** IMAGE_START body for `bytes` (overrides may lie about it). */
export function rogueImageStart(bytes: Uint8Array, overrides: Record<string, unknown> = {}) {
  return { sentAt: Date.now(), name: 'x.png', mime: 'image/png', size: bytes.byteLength, chunks: Math.ceil(bytes.byteLength / CHUNK_BYTES), ...overrides };
}

/** Start, chunks, end: the frames of one image and its message id. */
export function rogueImageFrames(bytes: Uint8Array, options: RogueImageOptions = {}): { id: string; frames: Uint8Array[] } {
  const id = newMessageId();
  const chunks = Math.ceil(bytes.byteLength / CHUNK_BYTES);
  const start = rogueImageStart(bytes, options.start);
  const frames = [encodeFrame(FrameType.IMAGE_START, id, 0, start)];
  for (const i of options.order ?? Array.from({ length: chunks }, (_, k) => k)) frames.push(encodeFrame(FrameType.IMAGE_CHUNK, id, i, bytes.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES)));
  const sha256 = options.sha256 ?? sha256Hex(bytes);
  const signer = options.signer ?? { key: generateDeviceKey(), author: 'nobody' };
  const record = { kind: 'image' as const, author: signer.author, device: signer.key.publicKey, id, sentAt: start.sentAt as number, sha256, mime: sniffImage(bytes) ?? String(start.mime), size: bytes.byteLength, name: String(start.name) };
  frames.push(encodeFrame(FrameType.IMAGE_END, id, chunks, { sha256, sig: signContentText(signer.key, record) }));
  return { id, frames };
}
