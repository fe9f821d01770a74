// One incoming image: chunks must come in order, each of the exact expected size; the first one
// must sniff as an image, the whole must match the SHA-256 that follows the last chunk, and then
// pass the structural check (shared/imageCheck.ts) before anything may display it.

import { ChatError } from '../../shared/errors';
import { CHUNK_BYTES, type ImageMime } from '../../shared/limits';
import type { ImageStartPayload } from '../../shared/frames';
import { createSha256, nativeSha256Hex, type Sha256Hasher } from '../../shared/sha256';
import { sniffImage } from '../../shared/imageSniff';
import { checkImage } from '../../shared/imageCheck';
import { uninitializedBytes } from '../../shared/uninitializedBytes';

export interface CompletedImage {
  bytes: Uint8Array;
  mime: ImageMime;
}

export class Reassembly {
  readonly startedAt: number;
  lastChunkAt: number;
  private readonly bytes: Uint8Array;
  private readonly hasher: Sha256Hasher;
  private nextIndex = 0;
  private mime: ImageMime | null = null;
  received = 0;

  /**
   * `nativeHash`: verify with WebCrypto once at the end (off the main thread) instead of hashing each
   * chunk in JS as it arrives; `hasher`: hash each chunk with this incremental hasher instead of JS.
   */
  constructor(readonly start: ImageStartPayload, now: number, private readonly nativeHash = false, hasher?: Sha256Hasher) {
    this.hasher = hasher ?? createSha256();
    // Not zero-filled: the image is handed on only once every chunk (each of its exact size) is in.
    this.bytes = uninitializedBytes(start.size);
    this.startedAt = now;
    this.lastChunkAt = now;
  }

  get complete(): boolean {
    return this.nextIndex === this.start.chunks;
  }

  /** The index of the chunk expected next. */
  get expectedIndex(): number {
    return this.nextIndex;
  }

  /** Adds chunk `index`. Throws ChatError on any mismatch. */
  add(index: number, chunk: Uint8Array, now: number): void {
    const { size, chunks } = this.start;
    if (this.complete) throw new ChatError('BAD_FRAME', `chunk ${index} after the last one`);
    if (index !== this.nextIndex) throw new ChatError('BAD_FRAME', `out-of-order chunk ${index}, expected ${this.nextIndex}`);
    const expected = index === chunks - 1 ? size - index * CHUNK_BYTES : CHUNK_BYTES;
    if (chunk.byteLength !== expected) throw new ChatError('BAD_FRAME', `chunk ${index} has ${chunk.byteLength} bytes, expected ${expected}`);
    if (index === 0) {
      // Refuse a non-image at once rather than after megabytes.
      this.mime = sniffImage(chunk);
      if (!this.mime) throw new ChatError('BAD_IMAGE', 'not a png, jpeg, gif or webp image');
    }
    this.bytes.set(chunk, this.received);
    if (!this.nativeHash) this.hasher.update(chunk); // in order, as it arrives: nothing left to hash at the end
    this.received += chunk.byteLength;
    this.nextIndex++;
    this.lastChunkAt = now;
  }

  /** Checks the whole against `sha256` once every chunk is in (JS hash). Throws ChatError on any mismatch. */
  finish(sha256: string): CompletedImage {
    this.checkComplete();
    if (this.nativeHash) throw new ChatError('INTERNAL', 'natively hashed image: use verify()');
    if (this.hasher.digestHex() !== sha256) throw new ChatError('HASH_MISMATCH', 'image does not match its SHA-256');
    return this.checkStructure();
  }

  /** Like finish, natively hashed when so built (then a promise that rejects with ChatError on a mismatch). */
  verify(sha256: string): CompletedImage | Promise<CompletedImage> {
    if (!this.nativeHash) return this.finish(sha256);
    this.checkComplete();
    return nativeSha256Hex(this.bytes).then((hex) => {
      if (hex !== sha256) throw new ChatError('HASH_MISMATCH', 'image does not match its SHA-256');
      return this.checkStructure();
    });
  }

  /** The hash only proves the sender sent these bytes: a truncated, glued or huge image is refused here. */
  private checkStructure(): CompletedImage {
    return { bytes: this.bytes, mime: checkImage(this.bytes).mime };
  }

  private checkComplete(): ImageMime {
    if (!this.complete || !this.mime) throw new ChatError('BAD_FRAME', `image ended after ${this.nextIndex} of ${this.start.chunks} chunks`);
    return this.mime;
  }
}
