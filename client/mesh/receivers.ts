// One Receiver per sender, kept after the sender leaves (its dedup and ordering state) in case
// the same peer id comes back after a blip; bounded, the oldest departed one is dropped first.

import type { PeerId, PeerInfo } from '../../shared/protocol';
import type { Receiver } from './receiver';

const DEPARTED_RECEIVERS_MAX = 256;

export class Receivers {
  private readonly byPeer = new Map<PeerId, { receiver: Receiver; info: PeerInfo }>();

  constructor(
    /** Builds a receiver; `from()` is the sender's latest PeerInfo. */
    private readonly create: (peerId: PeerId, from: () => PeerInfo) => Receiver,
    private readonly isPresent: (peerId: PeerId) => boolean,
  ) {}

  get(info: PeerInfo): Receiver {
    const known = this.byPeer.get(info.peerId);
    if (known) {
      known.info = info;
      return known.receiver;
    }
    const entry = { info, receiver: null as unknown as Receiver };
    entry.receiver = this.create(info.peerId, () => entry.info);
    this.byPeer.set(info.peerId, entry);
    if (this.byPeer.size > DEPARTED_RECEIVERS_MAX) {
      for (const [id, r] of this.byPeer) {
        if (this.isPresent(id)) continue;
        r.receiver.close();
        this.byPeer.delete(id);
        break;
      }
    }
    return entry.receiver;
  }

  /** The sender left: drop its partial images, keep the rest. */
  close(peerId: PeerId): void {
    this.byPeer.get(peerId)?.receiver.close();
  }

  closeAll(): void {
    for (const { receiver } of this.byPeer.values()) receiver.close();
  }
}
