// The SHA-256 of an outgoing image, computed while its chunks are already on their way: the hash
// travels in IMAGE_END after the last chunk, so the first byte does not wait ~50 ms per 5 MiB.

import { CHUNK_BYTES } from '../../shared/limits';
import { createSha256 } from '../../shared/sha256';

/** Chunks hashed between two yields to the event loop (so the send queues keep pumping). */
const SLICE_CHUNKS = 8;

export class ImageDigest {
  private readonly hasher = createSha256();
  private hashedChunks = 0;
  private hex: string | null = null;
  private readonly chunks: number;

  constructor(private readonly bytes: Uint8Array) {
    this.chunks = Math.ceil(bytes.byteLength / CHUNK_BYTES);
  }

  /** The digest, finishing the hash synchronously if it is not done yet. */
  hexDigest(): string {
    if (this.hex === null) {
      this.hashUpTo(this.chunks);
      this.hex = this.hasher.digestHex();
    }
    return this.hex;
  }

  /** Hashes in slices, yielding in between; resolves with the digest. */
  async complete(): Promise<string> {
    while (this.hashedChunks < this.chunks) {
      this.hashUpTo(this.hashedChunks + SLICE_CHUNKS);
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    return this.hexDigest();
  }

  private hashUpTo(end: number): void {
    for (; this.hashedChunks < Math.min(end, this.chunks); this.hashedChunks++) {
      const from = this.hashedChunks * CHUNK_BYTES;
      this.hasher.update(this.bytes.subarray(from, from + CHUNK_BYTES));
    }
  }
}
