// Peers presumed online after a restart: the members of the saved room (presenceSnapshot.ts), kept
// in the room's list for a grace window while they come back, so that a crowd resuming causes no
// join broadcast (one per member, to every member: O(N^2)). They have no socket yet: a signal or a
// relayed frame to one is answered PEER_AWAY, and the sender is remembered (a bounded number per
// peer) to be told when it is back. Those not back when the grace ends are announced gone.

import { PRESENCE_AWAY_WAITERS_MAX } from '../../shared/limits';
import type { PeerId, PeerInfo } from '../../shared/protocol';
import type { Connection } from './connection';

/** One saved member of the room. */
export interface SavedPeer {
  info: PeerInfo;
  userId: string;
  /** SHA-256 of its session token (hex), as the session store keeps it: a logout drops the peer. */
  tokenHash: string;
}

export interface PresumedPeer extends SavedPeer {
  /** Senders refused PEER_AWAY about it, to tell when it is back. */
  waiters: Set<Connection>;
}

export class PresumedPeers {
  private readonly peers = new Map<PeerId, PresumedPeer>();
  private timer: NodeJS.Timeout | undefined;

  get size(): number {
    return this.peers.size;
  }

  /** Presumes `saved` online until `graceMs` from now; then `expire` gets those not back. */
  restore(saved: readonly SavedPeer[], graceMs: number, expire: (peerIds: PeerId[]) => void): void {
    for (const peer of saved) this.peers.set(peer.info.peerId, { ...peer, waiters: new Set() });
    if (this.peers.size === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const gone = [...this.peers.keys()];
      this.peers.clear();
      expire(gone);
    }, graceMs);
    this.timer.unref?.();
  }

  has(peerId: PeerId): boolean {
    return this.peers.has(peerId);
  }

  get(peerId: PeerId): PresumedPeer | undefined {
    return this.peers.get(peerId);
  }

  values(): IterableIterator<PresumedPeer> {
    return this.peers.values();
  }

  /** The peer is back: no longer presumed; returns its entry (with its waiters). */
  take(peerId: PeerId): PresumedPeer | undefined {
    const peer = this.peers.get(peerId);
    if (!peer) return undefined;
    this.peers.delete(peerId);
    if (this.peers.size === 0) this.close();
    return peer;
  }

  /** Remembers a sender refused about `peerId`, up to PRESENCE_AWAY_WAITERS_MAX of them (one that has closed meanwhile is skipped when told). */
  wait(peerId: PeerId, sender: Connection): void {
    const waiters = this.peers.get(peerId)?.waiters;
    if (waiters && waiters.size < PRESENCE_AWAY_WAITERS_MAX) waiters.add(sender);
  }

  /** The session was revoked (a logout while the server was down or before it came back): those peers are gone. */
  dropToken(tokenHash: string): PeerId[] {
    const gone: PeerId[] = [];
    for (const [peerId, peer] of this.peers) if (peer.tokenHash === tokenHash) gone.push(peerId);
    for (const peerId of gone) this.take(peerId);
    return gone;
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
