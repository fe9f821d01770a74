// Signals and relayed frames from a peer we have not heard of yet: the server forwards them at
// once but batches presence, so an offer can beat the "joined" that names its sender. Bounded
// and short-lived.

import type { PeerId } from '../../shared/protocol';

export interface EarlyItem {
  signal?: Record<string, unknown>;
  relay?: Uint8Array;
}

const MAX_PEERS = 64;
const MAX_ITEMS = 256;
const MAX_AGE_MS = 10_000;

export class EarlyBuffer {
  private byPeer = new Map<PeerId, { at: number; items: EarlyItem[] }>();

  add(peerId: PeerId, item: EarlyItem): void {
    const now = Date.now();
    for (const [id, entry] of this.byPeer) if (now - entry.at > MAX_AGE_MS) this.byPeer.delete(id);
    let entry = this.byPeer.get(peerId);
    if (!entry) {
      if (this.byPeer.size >= MAX_PEERS) return;
      entry = { at: now, items: [] };
      this.byPeer.set(peerId, entry);
    }
    if (entry.items.length < MAX_ITEMS) entry.items.push(item);
  }

  take(peerId: PeerId): EarlyItem[] {
    const entry = this.byPeer.get(peerId);
    this.byPeer.delete(peerId);
    return entry && Date.now() - entry.at <= MAX_AGE_MS ? entry.items : [];
  }

  clear(): void {
    this.byPeer.clear();
  }
}
