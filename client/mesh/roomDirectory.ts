// The room as this client holds it across reconnects: every other peer announced to it, and the
// digest of them (shared/roomDigest.ts) it sends when it resumes. A partial welcome replaces only
// the buckets that changed; the signaling client then hands the mesh the whole room, as if the
// welcome had listed it.

import { bucketsFor, coarseOf, entryHash, fineBucketOf, RoomDigest } from '../../shared/roomDigest';
import type { KnownRoom, PeerId, PeerInfo, PresenceMessage, WelcomeMessage } from '../../shared/protocol';

export class RoomDirectory {
  private readonly peers = new Map<PeerId, { info: PeerInfo; hash: Uint8Array }>();
  private readonly digest = new RoomDigest();

  get size(): number {
    return this.peers.size;
  }

  /** What to send in `auth.known`; undefined while nothing is held (a first welcome is whole anyway). */
  known(): KnownRoom | undefined {
    if (this.peers.size === 0) return undefined;
    const buckets = bucketsFor(this.peers.size);
    return { buckets, digest: this.digest.encode(buckets) };
  }

  /** Applies a welcome (whole or partial); returns the whole room but self, as the mesh wants it. */
  applyWelcome(message: WelcomeMessage): PeerInfo[] {
    const self = message.self.peerId;
    if (message.partial) {
      const { buckets, changed } = message.partial;
      const replaced = new Set(changed);
      for (const [peerId, entry] of this.peers) if (replaced.has(coarseOf(fineBucketOf(peerId), buckets))) this.remove(peerId, entry.hash);
    } else {
      this.peers.clear();
      this.digest.clear();
    }
    this.remove(self, this.peers.get(self)?.hash);
    for (const info of message.peers) if (info.peerId !== self) this.put(info);
    return this.list();
  }

  /** Applies a presence batch (self is never in it, but is skipped all the same). */
  applyPresence(message: PresenceMessage, self: PeerId | undefined): void {
    for (const peerId of message.left) this.remove(peerId, this.peers.get(peerId)?.hash);
    for (const info of message.joined) if (info.peerId !== self) this.put(info);
  }

  list(): PeerInfo[] {
    return [...this.peers.values()].map((entry) => entry.info);
  }

  clear(): void {
    this.peers.clear();
    this.digest.clear();
  }

  private put(info: PeerInfo): void {
    this.remove(info.peerId, this.peers.get(info.peerId)?.hash);
    const hash = entryHash(info);
    this.peers.set(info.peerId, { info, hash });
    this.digest.toggle(info.peerId, hash);
  }

  private remove(peerId: PeerId, hash: Uint8Array | undefined): void {
    if (!hash) return;
    this.peers.delete(peerId);
    this.digest.toggle(peerId, hash);
  }
}
