// First-come slots per peer, never taken back (no preemption, so no churn as people come and go).
// The mesh keeps two: its direct-link budget (DIRECT_LINKS_MAX: pairs with a direct link or an
// attempt in flight) and the pacing of its attempts (DIRECT_ATTEMPTS_IN_FLIGHT_MAX: attempts it
// opens at once as initiator, the rest wait their turn while the relay carries).

import type { PeerId } from '../../shared/protocol';

export class LinkBudget {
  private readonly held = new Set<PeerId>();
  /** Insertion order is the order of arrival. */
  private readonly waiters = new Map<PeerId, () => void>();
  private granting = false;
  private closed = false;
  /** Most slots held at once since this budget was made. */
  peak = 0;

  constructor(readonly max: number) {}

  get used(): number {
    return this.held.size;
  }

  holds(peer: PeerId): boolean {
    return this.held.has(peer);
  }

  /** Takes a slot for `peer` unless it holds one already; false when none is free (nobody waiting is passed over). */
  take(peer: PeerId): boolean {
    if (this.held.has(peer)) return true;
    if (this.closed || this.held.size >= this.max || this.waiters.size > 0) return false;
    this.hold(peer);
    return true;
  }

  /** Calls `granted` once a slot is held for `peer` (at once when one is free); replaces an earlier wait of `peer`. */
  wait(peer: PeerId, granted: () => void): void {
    this.waiters.delete(peer);
    if (this.take(peer)) return granted();
    this.waiters.set(peer, granted);
  }

  cancelWait(peer: PeerId): void {
    this.waiters.delete(peer);
  }

  release(peer: PeerId): void {
    if (!this.held.delete(peer)) return;
    this.grant();
  }

  /** The mesh is stopping: nothing is granted any more. */
  close(): void {
    this.closed = true;
    this.waiters.clear();
  }

  /** Forgets `peer` altogether (it left). */
  drop(peer: PeerId): void {
    this.cancelWait(peer);
    this.release(peer);
  }

  private hold(peer: PeerId): void {
    this.held.add(peer);
    this.peak = Math.max(this.peak, this.held.size);
  }

  private grant(): void {
    if (this.granting || this.closed) return; // a callback released a slot: the loop below hands it on
    this.granting = true;
    try {
      while (this.held.size < this.max && this.waiters.size > 0) {
        const [peer, granted] = this.waiters.entries().next().value as [PeerId, () => void];
        this.waiters.delete(peer);
        this.hold(peer);
        granted();
      }
    } finally {
      this.granting = false;
    }
  }
}
