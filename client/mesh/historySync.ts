// The newcomer's side of history from peers. On joining (and on every return) it asks up to
// HISTORY_SYNC_PEERS_MAX peers for the room's recent messages it lacks (HISTORY_REQUEST with the
// ids it has). Each lists signed records (HISTORY_BATCH): texts are verified (signature, and the
// device's owner as the server binds it) and shown at once; images are then spread over the peers
// that listed them (HISTORY_IMAGES) and arrive as image transfers with their origin, checked
// against the verified record. A peer that sends garbage, a forgery, too much, or goes quiet is
// dropped, reported, and what it owed is asked of another.

import type { ErrorCode } from '../../shared/errors';
import { verifyContentText } from '../../shared/contentRecord';
import type { DeviceVerifier } from '../../shared/deviceKey';
import { contentOf, type HistoryRecord } from '../../shared/historyRecord';
import type { HistoryBatchPayload } from '../../shared/frames';
import {
  HISTORY_LISTING_GRACE_MS,
  HISTORY_SYNC_IDLE_MS,
  HISTORY_SYNC_IMAGE_BYTES_MAX,
  HISTORY_SYNC_MESSAGES_MAX,
  HISTORY_SYNC_PEERS_MAX,
} from '../../shared/limits';
import type { KeyOwner, PeerId, PeerInfo } from '../../shared/protocol';
import type { ChatMessage, MeshError } from './api';
import type { KeyDirectory } from './keyDirectory';
import type { Incoming } from './receiver';

type ImageRecord = Extract<HistoryRecord, { kind: 'image' }>;

/** Records verified between two yields to the event loop (pure-JS Ed25519 costs ~1-2 ms each in a page). */
const VERIFY_SLICE = 16;

export interface HistorySyncDeps {
  /** Peers online now, in the order they were listed. */
  peers(): PeerInfo[];
  self(): PeerInfo | null;
  request(peer: PeerId, have: { have: string[]; since: number }): void;
  requestImages(peer: PeerId, ids: string[]): void;
  summary(): { have: string[]; since: number };
  /** True once a message id was shown here (live or earlier). */
  seen(id: string): boolean;
  deliver(message: ChatMessage): void;
  error(e: MeshError): void;
  keys: KeyDirectory;
  verify: DeviceVerifier;
  idleMs?: number;
}

interface Source {
  info: PeerInfo;
  records: number;
  listed: Map<string, ImageRecord>;
  /** Its last batch arrived (later batches are ignored). */
  lastArrived: boolean;
  /** Its last batch is verified too: `listed` is complete. */
  listingDone: boolean;
  failed: boolean;
  /** Verification of its batches, in arrival order. */
  chain: Promise<void>;
  idle: ReturnType<typeof setTimeout> | null;
  /** When it was last heard from (ms): the idle timer checks it when it fires, so a chunk re-arms nothing. */
  heardAt: number;
}

interface Wanted {
  record: ImageRecord;
  source: PeerId;
}

export class HistorySync {
  private sources = new Map<PeerId, Source>();
  /** Peers asked (or failed) during this sync: not asked again. */
  private asked = new Set<PeerId>();
  private readonly wanted = new Map<string, Wanted>();
  private imageBytesAsked = 0;
  private graceTimer: ReturnType<typeof setTimeout> | null = null;
  /** A sync that no peer has served yet (nobody online, or all failed): a peer that joins is asked. */
  private open = false;
  private generation = 0;

  constructor(private readonly deps: HistorySyncDeps) {}

  /** Joined (or back): ask the peers online for what we lack. */
  begin(): void {
    this.stop();
    this.open = true;
    this.askMore();
  }

  /** A peer joined: ask it too while the sync still needs a source. */
  peerJoined(): void {
    if (this.open) this.askMore();
  }

  peerLeft(peerId: PeerId): void {
    const source = this.sources.get(peerId);
    if (source && !source.failed && !this.finished(source)) this.fail(source, 'PEER_LEFT', 'left before it finished');
  }

  stop(): void {
    this.generation++;
    for (const s of this.sources.values()) if (s.idle) clearTimeout(s.idle);
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.graceTimer = null;
    this.sources = new Map();
    this.asked = new Set();
    this.wanted.clear();
    this.imageBytesAsked = 0;
    this.open = false;
  }

  /** A listing batch from `peerId` (already acknowledged on the wire). */
  onBatch(peerId: PeerId, batch: HistoryBatchPayload): void {
    const source = this.sources.get(peerId);
    if (!source || source.failed || source.lastArrived) {
      if (!source) this.report('BAD_FRAME', `${peerId}: history nobody asked for`, peerId);
      return;
    }
    source.records += batch.records.length;
    if (source.records > HISTORY_SYNC_MESSAGES_MAX) {
      return this.fail(source, 'TOO_LARGE', `listed more than ${HISTORY_SYNC_MESSAGES_MAX} messages`);
    }
    this.touch(source);
    if (batch.last) source.lastArrived = true;
    const generation = this.generation;
    source.chain = source.chain.then(() => (generation === this.generation && !source.failed ? this.take(source, batch) : undefined));
  }

  /** A history frame from `peerId` failed to decode (oversized, malformed): that peer serves no more. */
  refuse(peerId: PeerId, code: ErrorCode, why: string): void {
    const source = this.sources.get(peerId);
    if (source && !source.failed) this.fail(source, code, why);
  }

  /** An image passed on by `peerId` (it carries an origin): shown only if it is one we asked for, exactly as listed. */
  onImage(peerId: PeerId, image: Extract<Incoming, { kind: 'image' }>): void {
    const wanted = this.wanted.get(image.id);
    const source = this.sources.get(peerId);
    if (!wanted || wanted.source !== peerId || !source) {
      if (!this.deps.seen(image.id)) this.report('BAD_FRAME', `an image nobody asked for, from ${peerId}`, peerId, image.id);
      return;
    }
    const r = wanted.record;
    const same =
      image.origin?.author === r.author && image.origin.device === r.device && image.sha256 === r.sha256 && image.sig === r.sig &&
      image.sentAt === r.sentAt && image.name === r.name && image.mime === r.mime && image.bytes.byteLength === r.size;
    this.wanted.delete(image.id);
    if (!same) {
      this.fail(source, 'BAD_SIGNATURE', 'passed on an image that is not the one it listed', image.id);
      return;
    }
    this.touch(source);
    const owner = this.deps.keys.cached(r.device);
    if (!this.deps.seen(r.id) && owner) this.deps.deliver({ ...this.base(r, owner, source.info), kind: 'image', name: r.name, mime: r.mime, bytes: image.bytes, sha256: r.sha256 });
    this.maybeDone(source);
  }

  /** Bytes of an image from `peerId` arrived: it is alive. */
  progress(peerId: PeerId): void {
    const source = this.sources.get(peerId);
    if (source && !source.failed) this.touch(source);
  }

  // ---- internals ------------------------------------------------------------------------------
  private askMore(): void {
    const selfName = this.deps.self()?.username;
    const active = [...this.sources.values()].filter((s) => !s.failed).length;
    // Other people first: they were here while we were not; our own other devices after them.
    const candidates = this.deps
      .peers()
      .filter((p) => !this.asked.has(p.peerId))
      .sort((a, b) => Number(a.username === selfName) - Number(b.username === selfName));
    const summary = candidates.length ? this.deps.summary() : null;
    for (const peer of candidates.slice(0, Math.max(0, HISTORY_SYNC_PEERS_MAX - active))) {
      this.asked.add(peer.peerId);
      const source: Source = { info: peer, records: 0, listed: new Map(), lastArrived: false, listingDone: false, failed: false, chain: Promise.resolve(), idle: null, heardAt: 0 };
      this.sources.set(peer.peerId, source);
      this.touch(source);
      this.deps.request(peer.peerId, summary!);
    }
  }

  private async take(source: Source, batch: HistoryBatchPayload): Promise<void> {
    const generation = this.generation;
    const owners = await this.deps.keys.owners(batch.records.map((r) => r.device));
    for (let i = 0; i < batch.records.length; i++) {
      if (generation !== this.generation || source.failed) return;
      if (i > 0 && i % VERIFY_SLICE === 0) await new Promise((resolve) => setTimeout(resolve, 0));
      const record = batch.records[i];
      const owner = owners.get(record.device);
      if (owner === undefined) {
        // The server did not answer in time (a busy server, a socket reconnecting): no accusation; the next sync asks again.
        return this.fail(source, 'TRANSFER_ABORTED', `could not learn in time whose device signed a message of ${record.author}`, record.id);
      }
      if (!owner || owner.username !== record.author) {
        return this.fail(source, 'BAD_SIGNATURE', `passed on a message of ${record.author} signed by a device that is not theirs`, record.id);
      }
      if (!verifyContentText(contentOf(record), record.sig, this.deps.verify)) {
        return this.fail(source, 'BAD_SIGNATURE', `passed on a message of ${record.author} that its device did not sign`, record.id);
      }
      if (this.deps.seen(record.id)) continue;
      if (record.kind === 'text') this.deps.deliver({ ...this.base(record, owner, source.info), kind: 'text', text: record.text });
      else source.listed.set(record.id, record);
    }
    if (!batch.last) return;
    source.listingDone = true;
    this.listingFinished();
  }

  private base(r: HistoryRecord, owner: KeyOwner, via: PeerInfo) {
    const online = this.deps.peers().find((p) => p.deviceKey === r.device);
    const self = this.deps.self();
    const from: PeerInfo = online ?? { peerId: '', username: owner.username, displayName: owner.displayName, deviceKey: r.device };
    return { id: r.id, from, device: r.device, sig: r.sig, sentAt: r.sentAt, own: self?.deviceKey === r.device, via };
  }

  /** One more listing is complete: spread the images once the others had a moment to list theirs. */
  private listingFinished(): void {
    const live = [...this.sources.values()].filter((s) => !s.failed);
    if (live.every((s) => s.listingDone)) return this.planImages();
    this.graceTimer ??= setTimeout(() => {
      this.graceTimer = null;
      this.planImages();
    }, HISTORY_LISTING_GRACE_MS);
  }

  /** Asks for the images not yet asked for, newest first within the byte budget, each of the least loaded peer that listed it. */
  private planImages(): void {
    const live = [...this.sources.values()].filter((s) => !s.failed && s.listingDone);
    const candidates = new Map<string, ImageRecord>();
    for (const s of live) for (const [id, r] of s.listed) if (!this.wanted.has(id) && !this.deps.seen(id)) candidates.set(id, r);
    const load = new Map<PeerId, number>(live.map((s) => [s.info.peerId, 0]));
    for (const w of this.wanted.values()) load.set(w.source, (load.get(w.source) ?? 0) + w.record.size);
    const asks = new Map<PeerId, string[]>();
    const newestFirst = [...candidates.values()].sort((a, b) => b.sentAt - a.sentAt || (a.id < b.id ? 1 : -1));
    for (const r of newestFirst) {
      if (this.imageBytesAsked + r.size > HISTORY_SYNC_IMAGE_BYTES_MAX) continue;
      const holders = live.filter((s) => s.listed.has(r.id)).sort((a, b) => load.get(a.info.peerId)! - load.get(b.info.peerId)!);
      const to = holders[0];
      if (!to) continue;
      this.wanted.set(r.id, { record: r, source: to.info.peerId });
      this.imageBytesAsked += r.size;
      load.set(to.info.peerId, load.get(to.info.peerId)! + r.size);
      asks.set(to.info.peerId, [...(asks.get(to.info.peerId) ?? []), r.id]);
    }
    for (const [peer, ids] of asks) this.deps.requestImages(peer, ids.reverse());
    for (const s of live) this.maybeDone(s);
  }

  private fail(source: Source, code: ErrorCode, why: string, messageId?: string): void {
    if (source.failed) return;
    source.failed = true;
    if (source.idle) clearTimeout(source.idle);
    this.report(code, `history from ${source.info.username}: ${why}; asking another peer`, source.info.peerId, messageId);
    // What it owed goes to another peer that listed it.
    for (const [id, w] of this.wanted) {
      if (w.source !== source.info.peerId) continue;
      this.wanted.delete(id);
      this.imageBytesAsked -= w.record.size;
    }
    this.askMore();
    this.listingFinished();
  }

  /** `source` was heard from: it fails once it stays silent for the idle time while something is still owed. */
  private touch(source: Source): void {
    source.heardAt = Date.now();
    if (!source.idle) this.watchIdle(source, this.deps.idleMs ?? HISTORY_SYNC_IDLE_MS);
  }

  private watchIdle(source: Source, inMs: number): void {
    source.idle = setTimeout(() => {
      source.idle = null;
      const idleMs = this.deps.idleMs ?? HISTORY_SYNC_IDLE_MS;
      const silentMs = Date.now() - source.heardAt;
      if (silentMs < idleMs) return this.watchIdle(source, idleMs - silentMs);
      if (!this.finished(source)) this.fail(source, 'TRANSFER_ABORTED', `nothing for ${idleMs / 1000} s`);
    }, inMs);
  }

  private finished(source: Source): boolean {
    if (!source.listingDone) return false;
    for (const w of this.wanted.values()) if (w.source === source.info.peerId) return false;
    return true;
  }

  private maybeDone(source: Source): void {
    if (!this.finished(source)) return;
    if (source.idle) clearTimeout(source.idle);
    source.idle = null;
    // Served by someone: peers joining later need not be asked.
    this.open = false;
  }

  private report(code: ErrorCode, message: string, peerId?: PeerId, messageId?: string): void {
    this.deps.error({ code, message, peerId, messageId, incoming: true });
  }
}

