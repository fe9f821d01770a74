// Per-peer send queue with three lanes: control frames (acks, rejects), texts, then bulk image
// chunks, so a text never waits behind an image. It writes while the current path is writable
// and polls otherwise: wrtc never fires bufferedamountlow, and relay-flow pauses come by message.
// One queue per peer, so a slow peer never stalls the others.

import type { OutFrame } from '../../shared/frames';
import { CHANNEL_DRAIN_POLL_MS } from '../../shared/limits';

export interface Transport {
  /** True while another frame may be written without overfilling a buffer. */
  writable(): boolean;
  /** Writes one frame; false means the path just failed (the frame is lost). */
  write(frame: OutFrame): boolean;
  /** Image bytes that may be in flight unacknowledged (CHUNK_ACK) on this path; undefined: no window. */
  readonly windowBytes?: number;
  /** A lane of the same path for control frames and texts, when it has one open now (peerLink's urgent channel). */
  urgent?(): Lane | null;
}

/** Where control frames and texts go when the path offers a lane of their own. */
export interface Lane {
  writable(): boolean;
  write(frame: Uint8Array): boolean;
}

/** A lazily produced stream of frames (an image: start frame, then chunks). */
export interface FrameSource {
  id: string;
  /** The next frame, or null when done. */
  next(): OutFrame | null;
  /** True while the source may not send on `transport` (its window is full): woken by pump() on an ack, polled meanwhile. */
  blocked?(transport: Transport): boolean;
}

export class SendQueue {
  private control: Uint8Array[] = [];
  private texts: { id: string; frame: Uint8Array }[] = [];
  private bulk: FrameSource[] = [];
  private transport: Transport | null = null;
  private bulkTransport: Transport | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private pumping = false;
  private closed = false;

  constructor(private readonly pollMs = CHANNEL_DRAIN_POLL_MS) {}

  setTransport(transport: Transport | null): void {
    this.transport = transport;
    this.pump();
  }

  pushControl(frame: Uint8Array): void {
    this.control.push(frame);
    this.pump();
  }

  pushText(id: string, frame: Uint8Array): void {
    this.texts.push({ id, frame });
    this.pump();
  }

  pushBulk(source: FrameSource): void {
    this.bulk.push(source);
    this.pump();
  }

  /** Drops a queued message (acked or abandoned). */
  cancel(id: string): void {
    this.texts = this.texts.filter((t) => t.id !== id);
    if (this.bulk[0]?.id === id) this.bulkTransport = null;
    this.bulk = this.bulk.filter((b) => b.id !== id);
  }

  /** Drops every queued text and image (before re-queuing them for a new path). Control frames stay. */
  clearMessages(): void {
    this.texts = [];
    this.bulk = [];
    this.bulkTransport = null;
  }

  get idle(): boolean {
    return this.control.length === 0 && this.texts.length === 0 && this.bulk.length === 0;
  }

  close(): void {
    this.closed = true;
    this.control = [];
    this.clearMessages();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  pump(): void {
    if (this.pumping || this.closed) return;
    this.pumping = true;
    try {
      this.drain();
    } finally {
      this.pumping = false;
    }
  }

  private drain(): void {
    for (;;) {
      const t = this.transport;
      if (t && (this.control.length > 0 || this.texts.length > 0)) {
        // Their own lane when the path has one: then they never wait behind image chunks.
        const lane: Lane = t.urgent?.() ?? t;
        if (!lane.writable()) return this.schedule();
        const frame = this.control.shift() ?? this.texts.shift()!.frame;
        if (!lane.write(frame)) return;
        continue;
      }
      const source = this.bulk[0];
      // An image keeps the path it started on (the old one stays usable after an upgrade), so its
      // chunks never arrive out of order through two paths.
      const bt = this.bulkTransport ?? t;
      if (!source || !bt) return;
      if (!bt.writable() || source.blocked?.(bt)) return this.schedule();
      const frame = source.next();
      if (!frame) {
        this.bulk.shift();
        this.bulkTransport = null;
        continue;
      }
      this.bulkTransport = bt;
      if (!bt.write(frame)) return;
    }
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.pump();
    }, this.pollMs);
  }
}
