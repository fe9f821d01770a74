// This node's authenticated connections by peer id. The room directory (presence.ts) knows who is
// online anywhere; only a peer listed here has a socket this node can write to.

import type { PeerId } from '../../shared/protocol';
import type { Connection } from './connection';

export class LocalSockets {
  private readonly byPeer = new Map<PeerId, Connection>();

  get(peerId: PeerId): Connection | undefined {
    return this.byPeer.get(peerId);
  }

  get size(): number {
    return this.byPeer.size;
  }

  values(): IterableIterator<Connection> {
    return this.byPeer.values();
  }

  /** Registers an authenticated connection; returns the connection it replaces (same peer id), if any. */
  add(conn: Connection): Connection | undefined {
    const peerId = conn.peerId!;
    const previous = this.byPeer.get(peerId);
    this.byPeer.set(peerId, conn);
    return previous;
  }

  /** True when `conn` was the peer's current socket (and is no longer). */
  remove(conn: Connection): boolean {
    const peerId = conn.peerId;
    if (peerId === undefined || this.byPeer.get(peerId) !== conn) return false;
    this.byPeer.delete(peerId);
    return true;
  }

  /** Connections authenticated with one session token. */
  connectionsOfToken(tokenHash: string): Connection[] {
    return [...this.byPeer.values()].filter((c) => c.online?.tokenHash === tokenHash);
  }
}
