// The frames of one outgoing image, encoded once for all the peers it goes to. Each peer's queue
// asks for chunk i when it gets there; peers moving in step get the very same object, which is
// what lets the relay send it once for all of them (relayWriter.ts). Only the most recent chunks
// are kept: a peer far behind (or a re-send) encodes its own copy of the same bytes.

import { CHUNK_BYTES, IMAGE_FRAME_CACHE_CHUNKS } from '../../shared/limits';
import { encodeFrame, encodeFrameParts, FrameType, type ImageStartPayload, type OutFrame } from '../../shared/frames';

export class ImageFrames {
  private readonly chunks = new Map<number, OutFrame>();
  private startFrame: Uint8Array | null = null;
  private endFrame: Uint8Array | null = null;

  constructor(
    private readonly id: string,
    private readonly start: ImageStartPayload,
    private readonly bytes: Uint8Array,
    private readonly keep = IMAGE_FRAME_CACHE_CHUNKS,
  ) {}

  first(): Uint8Array {
    return (this.startFrame ??= encodeFrame(FrameType.IMAGE_START, this.id, 0, this.start));
  }

  /** Header and a view of the image: the bytes are copied only where they go (an envelope, a channel). */
  chunk(index: number): OutFrame {
    let frame = this.chunks.get(index);
    if (!frame) {
      const from = index * CHUNK_BYTES;
      frame = encodeFrameParts(FrameType.IMAGE_CHUNK, this.id, index, this.bytes.subarray(from, Math.min(from + CHUNK_BYTES, this.bytes.byteLength)));
      this.chunks.set(index, frame);
      if (this.chunks.size > this.keep) this.chunks.delete(this.chunks.keys().next().value!);
    }
    return frame;
  }

  last(end: { sha256: string; sig: string }): Uint8Array {
    return (this.endFrame ??= encodeFrame(FrameType.IMAGE_END, this.id, this.start.chunks, { sha256: end.sha256, sig: end.sig }));
  }
}
