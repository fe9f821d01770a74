// Relayed bytes in flight to peers on other nodes, until their node credits them back (relay.ts).
// A credit lost on the way (a Redis reconnect) is written off after RELAY_CREDIT_STALE_MS without
// progress, so it can never pause a receiver's senders for ever.

import { RELAY_CREDIT_STALE_MS } from '../../shared/limits';
import type { PeerId } from '../../shared/protocol';

interface InFlight {
  node: string;
  bytes: number;
  /** When bytes were last credited (or first sent) (performance.now()). */
  progressAt: number;
}

export class CreditLedger {
  private readonly peers = new Map<PeerId, InFlight>();
  private readonly nodes = new Map<string, number>();

  constructor(
    private readonly staleMs = RELAY_CREDIT_STALE_MS,
    private readonly now: () => number = () => performance.now(),
  ) {}

  of(peer: PeerId): number {
    return this.peers.get(peer)?.bytes ?? 0;
  }

  ofNode(node: string): number {
    return this.nodes.get(node) ?? 0;
  }

  add(peer: PeerId, node: string, bytes: number): void {
    let entry = this.peers.get(peer);
    if (entry && entry.node !== node) this.forget(peer); // the peer moved to another node
    entry = this.peers.get(peer);
    if (!entry) this.peers.set(peer, (entry = { node, bytes: 0, progressAt: this.now() }));
    entry.bytes += bytes;
    this.nodes.set(node, this.ofNode(node) + bytes);
  }

  credit(peer: PeerId, bytes: number): void {
    const entry = this.peers.get(peer);
    if (!entry) return;
    const credited = Math.min(bytes, entry.bytes);
    entry.bytes -= credited;
    entry.progressAt = this.now();
    this.nodes.set(entry.node, Math.max(0, this.ofNode(entry.node) - credited));
    if (entry.bytes === 0) this.peers.delete(peer);
  }

  forget(peer: PeerId): void {
    const entry = this.peers.get(peer);
    if (entry) this.credit(peer, entry.bytes);
  }

  /** Writes off what has waited RELAY_CREDIT_STALE_MS for a credit. */
  writeOffStale(): void {
    const now = this.now();
    for (const [peer, entry] of this.peers) if (now - entry.progressAt > this.staleMs) this.forget(peer);
  }
}
