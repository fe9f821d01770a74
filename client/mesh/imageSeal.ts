// What closes an outgoing image: its SHA-256 and its author's signature over the content record,
// both carried by IMAGE_END. An own image is hashed while its chunks go out and signed once the
// hash is known; an image passed on from history carries the digest and signature it came with.

import type { ImageDigest } from './imageDigest';

export interface ImageSeal {
  /** False while IMAGE_END would have to wait (a native hash still running). */
  readonly ready: boolean;
  /** Resolves once `end()` can answer without waiting. */
  complete(): Promise<unknown>;
  /** Chunks [0, count) are being sent (lets an incremental hash keep up). */
  sending(count: number): void;
  /** The digest and signature, finishing the hash synchronously if needed. */
  end(): { sha256: string; sig: string };
}

/** An own image: hashed as it goes, signed by `sign` once the hash is known. */
export class SigningSeal implements ImageSeal {
  private sealed: { sha256: string; sig: string } | null = null;

  constructor(
    private readonly digest: ImageDigest,
    private readonly sign: (sha256: string) => string,
  ) {}

  get ready(): boolean {
    return this.digest.ready;
  }

  complete(): Promise<unknown> {
    return this.digest.complete();
  }

  sending(count: number): void {
    this.digest.sending(count);
  }

  end(): { sha256: string; sig: string } {
    if (!this.sealed) {
      const sha256 = this.digest.hexDigest();
      this.sealed = { sha256, sig: this.sign(sha256) };
    }
    return this.sealed;
  }
}

/** An image passed on: its digest and signature are those it was received with. */
export class KnownSeal implements ImageSeal {
  readonly ready = true;
  constructor(private readonly sealed: { sha256: string; sig: string }) {}
  complete(): Promise<unknown> {
    return Promise.resolve();
  }
  sending(): void {}
  end(): { sha256: string; sig: string } {
    return this.sealed;
  }
}
