// The serving side of history from peers: a newcomer's request gets a listing of what this peer
// keeps and it lacks, its request for images gets them passed on with their origin, each within the
// asker's share (ServeQuota) and the sync's byte cap. The frames go through the asker's outbox.

import { FrameType, type HistoryRequestPayload } from '../../shared/frames';
import { HISTORY_SYNC_IMAGE_BYTES_MAX } from '../../shared/limits';
import type { PeerId, PeerInfo } from '../../shared/protocol';
import type { MeshError } from './api';
import type { HistoryKeeper } from './historyKeeper';
import { forwardedImage, historyBatches } from './historyServe';
import type { OutgoingMessage } from './outbox';
import { ServeQuota, type ServeLimits } from './serveQuota';

export interface HistoryServerDeps {
  keeper: HistoryKeeper;
  /** A history frame that must arrive (acknowledged, re-sent after a path switch). */
  sendReliable(to: PeerId, type: typeof FrameType.HISTORY_BATCH, body: object, seq?: number): void;
  /** An image transfer to `to`, unless it left. */
  send(to: PeerId, message: OutgoingMessage): void;
  /** The asker as the room names it now; undefined once it left. */
  peer(id: PeerId): PeerInfo | undefined;
  error(e: MeshError): void;
}

export class HistoryServer {
  private readonly quota: ServeQuota;

  constructor(
    private readonly deps: HistoryServerDeps,
    limits?: ServeLimits,
  ) {
    this.quota = new ServeQuota(limits);
  }

  /** A newcomer asks for what it lacks: list it, oldest first, in batches that fit a frame. */
  list(asker: PeerInfo, request: HistoryRequestPayload): void {
    if (!this.quota.request(asker.username)) {
      this.refuse(asker, 'asked for the history too often');
      // An empty last batch: the asker is done with this peer at once rather than after its idle timeout.
      return this.deps.sendReliable(asker.peerId, FrameType.HISTORY_BATCH, { records: [], last: true });
    }
    const batches = historyBatches(this.deps.keeper.serve(new Set(request.have), request.since));
    batches.forEach((batch, i) => this.deps.sendReliable(asker.peerId, FrameType.HISTORY_BATCH, { records: batch, last: i === batches.length - 1 }, i));
  }

  /** A newcomer asks for images it saw listed: each goes as an image transfer with its origin, within the byte cap. */
  async passImages(asker: PeerInfo, ids: string[]): Promise<void> {
    let budget = HISTORY_SYNC_IMAGE_BYTES_MAX;
    for (const id of new Set(ids)) {
      const kept = await this.deps.keeper.image(id);
      if (this.deps.peer(asker.peerId)?.deviceKey !== asker.deviceKey) return; // it left meanwhile
      if (!kept || kept.record.size > budget) continue;
      if (!this.quota.spendImage(asker.username, kept.record.size)) return this.refuse(asker, 'asked for more earlier images than it may');
      budget -= kept.record.size;
      this.deps.send(asker.peerId, forwardedImage(kept.record, kept.bytes));
    }
  }

  private refuse(asker: PeerInfo, why: string): void {
    if (!this.quota.firstRefusal(asker.username)) return;
    this.deps.error({ code: 'RATE_LIMITED', message: `${asker.username} ${why}: no more is passed on to them for a while`, peerId: asker.peerId, incoming: true });
  }
}
