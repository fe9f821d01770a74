// How many direct attempts this mesh opens at once as the initiator (DIRECT_ATTEMPTS_IN_FLIGHT_MAX):
// the rest wait their turn, first come first served, while the relay carries their traffic. A
// newcomer in a room of 50 otherwise builds 24 connections in one burst (certificates, ICE, DTLS),
// and that burst is what delays its first messages and starves the peers on a small machine.

import type { PeerId } from '../../shared/protocol';

export class AttemptPacer {
  private readonly running = new Set<PeerId>();
  /** Insertion order is the order of arrival. */
  private readonly waiting = new Map<PeerId, () => void>();
  private starting = false;
  private closed = false;

  constructor(readonly max: number) {}

  /** Calls `open` once `peer` may open an attempt (at once when fewer than `max` are in flight). */
  start(peer: PeerId, open: () => void): void {
    this.waiting.delete(peer);
    if (this.closed) return;
    if (this.running.has(peer)) return open();
    this.waiting.set(peer, open);
    this.next();
  }

  /** `peer`'s attempt was confirmed, failed or closed, or it no longer waits: its turn is over. */
  finish(peer: PeerId): void {
    this.waiting.delete(peer);
    if (this.running.delete(peer)) this.next();
  }

  /** The mesh is stopping: no attempt is opened any more. */
  close(): void {
    this.closed = true;
    this.waiting.clear();
  }

  get inFlight(): number {
    return this.running.size;
  }

  private next(): void {
    if (this.starting) return; // an `open` finished another attempt: the loop below goes on
    this.starting = true;
    try {
      while (this.running.size < this.max && this.waiting.size > 0) {
        const [peer, open] = this.waiting.entries().next().value as [PeerId, () => void];
        this.waiting.delete(peer);
        this.running.add(peer);
        open();
      }
    } finally {
      this.starting = false;
    }
  }
}
