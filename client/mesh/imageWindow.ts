// How much of one outgoing image is in flight: chunks sent vs chunks the receiver acknowledged
// with CHUNK_ACK. On a direct link the sender keeps at most DIRECT_WINDOW_BYTES unacknowledged
// (see limits.ts for why: bufferedAmount does not bound what SCTP has in flight).

import { CHUNK_BYTES, WINDOW_STALL_MS } from '../../shared/limits';

export class ImageWindow {
  private acked = 0;
  private fullSince = 0;

  constructor(
    /** Chunks sent so far by this copy of the image (a re-send starts a new window). */
    private readonly sent: () => number,
    private readonly stallMs = WINDOW_STALL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** The receiver has `chunks` chunks, in order. Clamped: an ack of an earlier copy cannot open more than was sent. */
  ack(chunks: number): void {
    this.acked = Math.max(this.acked, Math.min(chunks, this.sent()));
    this.fullSince = 0;
  }

  get inFlightBytes(): number {
    return (this.sent() - this.acked) * CHUNK_BYTES;
  }

  /** True while `windowBytes` or more are unacknowledged, for at most `stallMs` without an ack. */
  full(windowBytes: number): boolean {
    if (this.inFlightBytes < windowBytes) return false;
    const now = this.now();
    if (this.fullSince === 0) this.fullSince = now;
    if (now - this.fullSince < this.stallMs) return true;
    // No ack for that long: they were lost (the path may be dying). Open up rather than deadlock;
    // bufferedAmount still paces, and the outbox re-sends whatever really went missing.
    this.ack(this.sent());
    return false;
  }
}
