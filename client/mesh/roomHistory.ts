// History from peers as one part of the mesh: what this peer keeps to pass on (HistoryKeeper, with
// kept images held as the caller chose, keptImageRing.ts), the caller's stored history loaded once
// before the first sync, the newcomer's side (HistorySync) and the serving side (HistoryServer).
// The mesh tells it what was shown, who came and went, and hands it the history frames.

import type { DeviceVerifier } from '../../shared/deviceKey';
import { encodeFrame, FrameType, newMessageId } from '../../shared/frames';
import { HISTORY_KEPT_LOAD_WAIT_MS } from '../../shared/limits';
import type { PeerId, PeerInfo } from '../../shared/protocol';
import type { ChatMessage, MeshError, MeshOptions } from './api';
import type { FrameDispatchDeps } from './frameDispatch';
import { HistoryKeeper } from './historyKeeper';
import { keptEntryOf } from './historyServe';
import { HistoryServer } from './historyServer';
import { HistorySync } from './historySync';
import type { KeyDirectory } from './keyDirectory';
import type { OutgoingMessage } from './outbox';
import type { Incoming } from './receiver';
import { DEFAULT_SERVE_LIMITS } from './serveQuota';

export interface RoomHistoryDeps {
  /** Peers online now, in the order they were listed. */
  peers(): PeerInfo[];
  peer(id: PeerId): PeerInfo | undefined;
  self(): PeerInfo | null;
  /** A message to `peerId` through its pair (outbox, acknowledged), unless it left. */
  send(peerId: PeerId, message: OutgoingMessage): void;
  /** True once a message id was shown here; `markShown` records one the caller had stored. */
  seen(id: string): boolean;
  markShown(id: string): void;
  /** A message from the history, to show. */
  deliver(message: ChatMessage): void;
  error(e: MeshError): void;
  keys: KeyDirectory;
  verify: DeviceVerifier;
}

type HistoryOptions = Pick<MeshOptions, 'keptHistory' | 'keptImages' | 'historyServeLimits'>;

export class RoomHistory {
  private readonly keeper = new HistoryKeeper();
  private readonly sync: HistorySync;
  private readonly server: HistoryServer;
  /** The caller's stored history, loaded into the keeper before the first sync asks for anything. */
  private readonly loaded: Promise<void>;

  constructor(
    private readonly deps: RoomHistoryDeps,
    private readonly options: HistoryOptions,
  ) {
    this.sync = new HistorySync({
      peers: () => deps.peers(),
      self: () => deps.self(),
      request: (peer, summary) => this.sendReliable(peer, FrameType.HISTORY_REQUEST, summary),
      requestImages: (peer, ids) => this.sendReliable(peer, FrameType.HISTORY_IMAGES, { ids }),
      summary: () => this.keeper.summary(),
      seen: (id) => deps.seen(id),
      deliver: (m) => deps.deliver(m),
      error: (e) => deps.error(e),
      keys: deps.keys,
      verify: deps.verify,
    });
    this.server = new HistoryServer(
      {
        keeper: this.keeper,
        sendReliable: (to, type, body, seq) => this.sendReliable(to, type, body, seq),
        send: (to, message) => deps.send(to, message),
        peer: (id) => deps.peer(id),
        error: (e) => deps.error(e),
      },
      { ...DEFAULT_SERVE_LIMITS, ...options.historyServeLimits },
    );
    this.loaded = this.loadKept();
  }

  /** The history frames a pair's FrameDispatch hands on. */
  readonly frames: FrameDispatchDeps['history'] = {
    list: (asker, request) => this.server.list(asker, request),
    passImages: (asker, ids) => this.server.passImages(asker, ids),
    onBatch: (from, batch) => this.sync.onBatch(from, batch),
    refuse: (from, code, why) => this.sync.refuse(from, code, why),
  };

  /** A message shown here: kept to pass on to newcomers (an image's bytes as the caller chose to hold them). */
  keep(message: ChatMessage): void {
    const kept = keptEntryOf(message);
    const store = this.options.keptImages;
    if (store && kept.bytes instanceof Uint8Array) kept.bytes = store.keep(kept.id, kept.bytes, () => this.keeper.dropBytes(kept.id));
    this.keeper.add(kept);
  }

  /** Joined or back: once the caller's stored history is loaded, and if `current()` still holds, ask the peers online for what was said meanwhile. */
  begin(current: () => boolean): void {
    void this.loaded.then(() => {
      if (current()) this.sync.begin();
    });
  }

  peerJoined(): void {
    this.sync.peerJoined();
  }

  peerLeft(peerId: PeerId): void {
    this.sync.peerLeft(peerId);
  }

  /** An image passed on by `peerId` (it carries an origin). */
  onImage(peerId: PeerId, image: Extract<Incoming, { kind: 'image' }>): void {
    this.sync.onImage(peerId, image);
  }

  /** Bytes of an image from `peerId` arrived: a history source is alive. */
  progress(peerId: PeerId): void {
    this.sync.progress(peerId);
  }

  stop(): void {
    this.sync.stop();
  }

  /** A history frame that must arrive: sent like a text (outbox, acknowledged, re-sent after a path switch). */
  private sendReliable(peerId: PeerId, type: typeof FrameType.HISTORY_REQUEST | typeof FrameType.HISTORY_BATCH | typeof FrameType.HISTORY_IMAGES, body: object, seq = 0): void {
    const id = newMessageId();
    this.deps.send(peerId, { kind: 'frame', id, frame: encodeFrame(type, id, seq, body) });
  }

  private async loadKept(): Promise<void> {
    if (!this.options.keptHistory) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // A slow store must not hold the sync up for long: what loads later still dedups by id.
    const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), HISTORY_KEPT_LOAD_WAIT_MS)));
    const loading = this.options.keptHistory().then((entries) => {
      for (const e of entries) {
        this.deps.markShown(e.id);
        this.keeper.add(e);
      }
    });
    await Promise.race([loading.catch(() => undefined), late]);
    clearTimeout(timer);
  }
}
