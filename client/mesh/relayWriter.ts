// Every relayed pair writes through the one signaling socket. Frames written in the same turn are
// sent at the end of it, and one frame object bound for several peers (an image chunk: see
// imageFrames.ts) goes to the server once, naming them all; the server fans it out. So a 5 MiB
// image to N relayed peers crosses the sender's link once, not N times, and the receivers get
// their chunks side by side instead of one after the other.
// Consecutive frames for the same peers then travel as one BUNDLE (RELAY_BUNDLE_FRAMES_MAX), so the
// server handles a quarter of the messages.
// Each peer may have only a few frames waiting per turn, which keeps the pairs' queues in step
// (and so their chunks mergeable); after each send the queues are pumped again at once.

import { bundledBytes, FRAME_HEADER_BYTES, type OutFrame } from '../../shared/frames';
import { RELAY_BUNDLE_FRAMES_MAX, RELAY_COALESCE_FRAMES, RELAY_PAYLOAD_MAX_BYTES, RELAY_RECIPIENTS_MAX } from '../../shared/limits';
import type { PeerId } from '../../shared/protocol';

export interface RelaySocket {
  readonly online: boolean;
  /** Sends frames, in order, to one or several peers as one message (several: a BUNDLE); false when the socket is gone (frames lost). */
  sendRelay(to: readonly PeerId[], frames: readonly OutFrame[]): boolean;
}

interface Pending {
  frame: OutFrame;
  peers: PeerId[];
}

interface Envelope {
  peers: PeerId[];
  frames: OutFrame[];
  bytes: number;
}

const samePeers = (a: readonly PeerId[], b: readonly PeerId[]) => a.length === b.length && a.every((p, i) => p === b[i]);

/** Runs of frames for the same peers, cut at the bundle limits; the order is kept. */
function envelopes(batch: readonly Pending[]): Envelope[] {
  const out: Envelope[] = [];
  for (const { frame, peers } of batch) {
    const last = out[out.length - 1];
    const fits = last && samePeers(last.peers, peers) && last.frames.length < RELAY_BUNDLE_FRAMES_MAX && last.bytes + bundledBytes(frame) <= RELAY_PAYLOAD_MAX_BYTES;
    if (fits) {
      last.frames.push(frame);
      last.bytes += bundledBytes(frame);
    } else out.push({ peers, frames: [frame], bytes: FRAME_HEADER_BYTES + bundledBytes(frame) });
  }
  return out;
}

export class RelayWriter {
  private pending: Pending[] = [];
  /** Per peer: index in `pending` of its last frame, and how many frames it has there. */
  private readonly lastIndex = new Map<PeerId, number>();
  private readonly counts = new Map<PeerId, number>();
  private scheduled = false;

  constructor(
    private readonly socket: RelaySocket,
    /** Called with how many envelopes a flush sends (for the rate limit), then to pump the queues again. */
    private readonly hooks: { sending(envelopes: number): void; flushed(): void },
    private readonly framesPerPeer = RELAY_COALESCE_FRAMES,
  ) {}

  /** True while `peer` may add a frame to this turn. */
  accepts(peer: PeerId): boolean {
    return (this.counts.get(peer) ?? 0) < this.framesPerPeer;
  }

  /** Queues `frame` for `peer` until the end of the turn; false when the socket is gone. */
  write(peer: PeerId, frame: OutFrame): boolean {
    if (!this.socket.online) return false;
    const last = this.lastIndex.get(peer) ?? -1;
    // Joining an entry after the peer's own last one keeps that peer's frames in order.
    let index = -1;
    for (let i = this.pending.length - 1; i > last; i--) {
      const entry = this.pending[i];
      if (entry.frame === frame && entry.peers.length < RELAY_RECIPIENTS_MAX && !entry.peers.includes(peer)) {
        index = i;
        break;
      }
    }
    if (index < 0) index = this.pending.push({ frame, peers: [] }) - 1;
    this.pending[index].peers.push(peer);
    this.lastIndex.set(peer, index);
    this.counts.set(peer, (this.counts.get(peer) ?? 0) + 1);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.flush());
    }
    return true;
  }

  /** Sends what this turn collected. Frames that meet a closed socket are lost, as in flight. */
  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    this.lastIndex.clear();
    this.counts.clear();
    this.scheduled = false;
    const out = envelopes(batch);
    this.hooks.sending(out.length);
    for (const { peers, frames } of out) if (!this.socket.sendRelay(peers, frames)) break;
    this.hooks.flushed();
  }
}
