// The SHA-256 of an outgoing image, computed while its chunks are already on their way: the hash
// travels in IMAGE_END after the last chunk, so the first byte does not wait for it.
// Where WebCrypto exists and no incremental hasher is given (secure contexts) it hashes natively
// off the main thread. Otherwise each chunk is hashed as it goes out (`sending`): natively with
// MeshOptions.sha256 (Node), with the JS SHA-256 on a page at http://<LAN IP>.

import { CHUNK_BYTES } from '../../shared/limits';
import { createSha256, nativeSha256Available, nativeSha256Hex, type Sha256Hasher } from '../../shared/sha256';

/** Chunks hashed between two yields to the event loop (so the send queues keep pumping). */
const SLICE_CHUNKS = 8;

export class ImageDigest {
  private readonly hasher: Sha256Hasher;
  private hashedChunks = 0;
  private hex: string | null = null;
  private readonly chunks: number;
  private readonly native: Promise<string | null> | null;
  private nativeFailed = false;

  constructor(
    private readonly bytes: Uint8Array,
    incremental?: () => Sha256Hasher,
    useNative = !incremental && nativeSha256Available(),
  ) {
    this.hasher = incremental?.() ?? createSha256();
    this.chunks = Math.ceil(bytes.byteLength / CHUNK_BYTES);
    this.native = useNative
      ? nativeSha256Hex(bytes).then(
          (hex) => (this.hex ??= hex),
          () => {
            this.nativeFailed = true; // fall back to the JS loop
            return null;
          },
        )
      : null;
  }

  /** False while a native digest is still being computed (IMAGE_END waits for it: see `complete`). */
  get ready(): boolean {
    return this.hex !== null || this.native === null || this.nativeFailed;
  }

  /**
   * Chunks [0, count) are being sent: hash them now unless WebCrypto does it. A sender that never
   * yields (a fast socket) would otherwise leave the whole hash for IMAGE_END, after the last chunk.
   */
  sending(count: number): void {
    if (this.hex === null && (this.native === null || this.nativeFailed)) this.hashUpTo(count);
  }

  /** The digest, finishing the JS hash synchronously if it is not done yet. */
  hexDigest(): string {
    if (this.hex === null) {
      this.hashUpTo(this.chunks);
      this.hex = this.hasher.digestHex();
    }
    return this.hex;
  }

  /** Resolves with the digest: natively, or hashing in JS slices with yields in between. */
  async complete(): Promise<string> {
    if (this.native && (await this.native) !== null) return this.hex!;
    while (this.hashedChunks < this.chunks && this.hex === null) {
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
