// Every frame a peer sends, after the path it came by (a direct link, or the relay once opened):
// decoded and validated once (shared/frames.ts), then handed to whoever owns its kind: the pair's
// delivery (acks, rejects, windows, path), the receiver (texts and images), history, receipts and
// typing. A frame that does not decode is reported and refused with a REJECT when it names a
// message; nothing here throws.

import { ChatError } from '../../shared/errors';
import { decodeFrame, encodeFrame, FrameError, FrameType, type HistoryBatchPayload, type HistoryRequestPayload } from '../../shared/frames';
import type { PeerId, PeerInfo } from '../../shared/protocol';
import type { MeshError } from './api';
import { DedupWindow } from './dedup';
import type { Pair } from './pair';
import type { Receiver } from './receiver';

/** The id field of a frame that names no message. */
const ZERO_ID = '0'.repeat(32);

export interface FrameDispatchDeps {
  error(e: MeshError): void;
  /** A RECEIPT: `username` has seen own message `id`. */
  receipt(id: string, username: string): void;
  /** A TYPING notice from `peer`. */
  typing(peer: PeerInfo): void;
  receiver(peer: PeerInfo): Receiver;
  history: {
    list(asker: PeerInfo, request: HistoryRequestPayload): void;
    passImages(asker: PeerInfo, ids: string[]): Promise<void>;
    onBatch(from: PeerId, batch: HistoryBatchPayload): void;
    /** A listing from `from` that did not decode. */
    refuse(from: PeerId, code: MeshError['code'], why: string): void;
  };
}

export class FrameDispatch {
  /** History frames already handled (each is acknowledged, and may come again after a path switch). */
  private readonly historyFrames = new DedupWindow();

  constructor(private readonly deps: FrameDispatchDeps) {}

  /** One frame (or, from the relay, a bundle of them) from `pair`'s peer. */
  handle(pair: Pair, bytes: Uint8Array, relayed: boolean): void {
    let frame;
    try {
      frame = decodeFrame(bytes);
    } catch (err) {
      return this.refuse(pair, bytes, err);
    }
    const { deps } = this;
    switch (frame.type) {
      case FrameType.BUNDLE:
        if (!relayed) return deps.error({ code: 'BAD_FRAME', message: `bad frame from ${pair.info.username}: a bundle outside the relay`, peerId: pair.peerId, incoming: true });
        for (const inner of frame.body) this.handle(pair, inner, true);
        return;
      case FrameType.PING:
      case FrameType.PONG:
        return; // probes belong to a direct link; over the relay they mean nothing
      case FrameType.ACK:
        return pair.onAck(frame.id);
      case FrameType.RECEIPT:
        return deps.receipt(frame.id, pair.info.username);
      case FrameType.TYPING:
        return deps.typing(pair.info);
      case FrameType.CHUNK_ACK:
        return pair.onChunkAck(frame.id, frame.seq);
      case FrameType.REJECT:
        return pair.onReject(frame.id, frame.body.code, frame.body.message);
      case FrameType.PATH:
        return pair.onPathDead(frame.body.deadAttempt);
      case FrameType.HISTORY_REQUEST:
      case FrameType.HISTORY_BATCH:
      case FrameType.HISTORY_IMAGES:
        pair.queue.pushControl(encodeFrame(FrameType.ACK, frame.id, 0));
        if (this.historyFrames.has(frame.id)) return;
        this.historyFrames.add(frame.id);
        if (frame.type === FrameType.HISTORY_REQUEST) return deps.history.list(pair.info, frame.body);
        if (frame.type === FrameType.HISTORY_BATCH) return deps.history.onBatch(pair.peerId, frame.body);
        void deps.history.passImages(pair.info, frame.body.ids);
        return;
      default:
        deps.receiver(pair.info).handle(frame, relayed);
    }
  }

  /** A frame that does not decode: reported, and refused to its sender when it names a message. */
  private refuse(pair: Pair, bytes: Uint8Array, err: unknown): void {
    const e = err instanceof ChatError ? err : new ChatError('BAD_FRAME', String(err));
    const messageId = err instanceof FrameError && err.messageId !== ZERO_ID ? err.messageId : undefined;
    this.deps.error({ code: e.code, message: `bad frame from ${pair.info.username}: ${e.message}`, peerId: pair.peerId, messageId, incoming: true });
    const type = bytes[1];
    if (type === FrameType.HISTORY_BATCH) this.deps.history.refuse(pair.peerId, e.code, `a bad listing (${e.message})`);
    if (messageId && type !== FrameType.REJECT && type !== FrameType.ACK && type !== FrameType.CHUNK_ACK) {
      pair.queue.pushControl(encodeFrame(FrameType.REJECT, messageId, 0, { code: e.code, message: e.message }));
    }
  }
}
