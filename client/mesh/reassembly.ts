// One incoming image: chunks must come in order, each of the exact expected size; the whole is
// checked against the announced SHA-256 and sniffed before it is accepted.

import { ChatError } from '../../shared/errors';
import { CHUNK_BYTES, type ImageMime } from '../../shared/limits';
import type { ImageStartPayload } from '../../shared/frames';
import { createSha256, type Sha256Hasher } from '../../shared/sha256';
import { sniffImage } from '../../shared/imageSniff';

export interface CompletedImage {
  bytes: Uint8Array;
  mime: ImageMime;
}

export class Reassembly {
  readonly startedAt: number;
  lastChunkAt: number;
  private readonly bytes: Uint8Array;
  private readonly hasher: Sha256Hasher = createSha256();
  private nextIndex = 0;
  received = 0;

  constructor(readonly start: ImageStartPayload, now: number) {
    this.bytes = new Uint8Array(start.size);
    this.startedAt = now;
    this.lastChunkAt = now;
  }

  /** Adds chunk `index`; returns the image when it was the last one. Throws ChatError on any mismatch. */
  add(index: number, chunk: Uint8Array, now: number): CompletedImage | null {
    const { size, chunks } = this.start;
    if (index !== this.nextIndex) throw new ChatError('BAD_FRAME', `out-of-order chunk ${index}, expected ${this.nextIndex}`);
    const expected = index === chunks - 1 ? size - index * CHUNK_BYTES : CHUNK_BYTES;
    if (chunk.byteLength !== expected) throw new ChatError('BAD_FRAME', `chunk ${index} has ${chunk.byteLength} bytes, expected ${expected}`);
    this.bytes.set(chunk, this.received);
    this.hasher.update(chunk);
    this.received += chunk.byteLength;
    this.nextIndex++;
    this.lastChunkAt = now;
    if (this.nextIndex < chunks) return null;
    if (this.hasher.digestHex() !== this.start.sha256) throw new ChatError('HASH_MISMATCH', 'image does not match its SHA-256');
    const mime = sniffImage(this.bytes);
    if (!mime) throw new ChatError('BAD_IMAGE', 'not a png, jpeg, gif or webp image');
    return { bytes: this.bytes, mime };
  }
}
