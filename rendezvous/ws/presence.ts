// The room directory: who is online, on this node (LocalSockets) or on another node of a cluster,
// and the coalesced presence broadcast to this node's sockets. Joins and leaves are collected and
// sent at most every flush interval as one message to everyone: broadcasting each change on its
// own is O(N^2) (5,000 joins took 70 s). The welcome lists the peers already announced, so the
// next flush brings a new peer up to date exactly like everyone else.
//
// Each entry names its owner node and a generation (cluster: a peer back on another node after a
// crash is a newer generation, and the stale entry's expiry never makes it leave).
//
// A single node restarted from its saved room (presenceSnapshot.ts) presumes the saved members
// online for a grace window (presumedPeers.ts): one coming back unchanged is announced to nobody,
// and a client naming the room it holds (auth.known) is welcomed with the buckets that changed only
// (announcedRoom.ts). The restart of a room of N then costs O(N) bytes, not O(N^2).

import { PRESENCE_FLUSH_MS } from '../../shared/limits';
import { encodeMessage, type KnownRoom, type PeerId, type PeerInfo, type RoomSettings } from '../../shared/protocol';
import { decodeDigest } from '../../shared/roomDigest';
import { AnnouncedRoom } from './announcedRoom';
import type { Connection } from './connection';
import { LocalSockets } from './localSockets';
import { PresenceBatch } from './presenceBatch';
import { PresumedPeers, type SavedPeer } from './presumedPeers';

export interface PresenceEntry {
  info: PeerInfo;
  userId: string;
  /** The node holding its socket. */
  node: string;
  /** Larger for a later connection of the same peer. */
  gen: number;
}

/** The node name of a server that is not part of a cluster. */
export const LOCAL_NODE = 'local';

/** Under sustained changes a flush is followed by FLUSH_LOAD_FACTOR times its cost without flushes... */
const FLUSH_LOAD_FACTOR = 4;
/**
 * ...but a quiet room saves up to this much of that spacing (ms), so that a lone change right
 * after a flush to everyone (a leave after a join) goes out at once instead of waiting 4x the cost
 * of the flush before it (0.45-1.0 s at 10,000 online, against 0.1-0.25 s for the join).
 */
const FLUSH_CREDIT_MAX_MS = 2_000;
/** Presence never lags by more than this (ms). */
const FLUSH_MAX_MS = 1_000;
/** The peers field of a welcome encoded with no peers, where the shared peer list is spliced in. */
const EMPTY_PEERS_FIELD = '"peers":[]';

/** Two entries a client would hold the same (the fields of entryHash). */
function samePeerInfo(a: PeerInfo, b: PeerInfo): boolean {
  return a.peerId === b.peerId && a.username === b.username && a.displayName === b.displayName && a.deviceKey === b.deviceKey && a.sessionKey === b.sessionKey && a.sessionProof === b.sessionProof;
}

export class Presence {
  /** Every peer online, on any node. */
  private readonly entries = new Map<PeerId, PresenceEntry>();
  /** Peers online per account (user id), on any node: the devices-per-account cap reads it. */
  private readonly peersOfUser = new Map<string, Set<PeerId>>();
  /** The room as the clients have been told it (flushed batches applied). */
  private readonly announced = new AnnouncedRoom();
  /** Members of the saved room not back yet after a restart (in `announced`, not in `entries`). */
  private readonly presumed = new PresumedPeers();
  private readonly joined = new Map<PeerId, PeerInfo>();
  private readonly left = new Set<PeerId>();
  /** Grows whenever `announced` changes (the saver writes the room when it has). */
  revision = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Spacing saved up (ms) as of `creditAt`; negative: owed by the flushes before. */
  private credit = FLUSH_CREDIT_MAX_MS;
  private creditAt = 0;

  constructor(
    private readonly flushMs = PRESENCE_FLUSH_MS,
    readonly local = new LocalSockets(),
    readonly node = LOCAL_NODE,
  ) {}

  /** This node's socket of a peer. */
  get(peerId: PeerId): Connection | undefined {
    return this.local.get(peerId);
  }

  /** Where a peer is online (any node), or undefined. */
  entry(peerId: PeerId): PresenceEntry | undefined {
    return this.entries.get(peerId);
  }

  entriesOfNode(node: string): PresenceEntry[] {
    return [...this.entries.values()].filter((e) => e.node === node);
  }

  connections(): IterableIterator<Connection> {
    return this.local.values();
  }

  /** Peers online on this node. */
  get size(): number {
    return this.local.size;
  }

  /** Peers online on any node. */
  get roomSize(): number {
    return this.entries.size;
  }

  /** Distinct peers (devices) of an account online right now. */
  peerCountOf(userId: string): number {
    return this.peersOfUser.get(userId)?.size ?? 0;
  }

  /** The directory entry of one of this node's connections. */
  entryOf(conn: Connection): PresenceEntry {
    const online = conn.online!;
    return { info: online.info, userId: online.userId, node: this.node, gen: online.gen };
  }

  /** Registers an authenticated connection of this node; returns the connection it replaces (same peer id), if any. */
  add(conn: Connection): Connection | undefined {
    const previous = this.local.add(conn);
    this.join(this.entryOf(conn));
    return previous;
  }

  /** Removes one of this node's connections; true when it was the peer's current one and the peer left. */
  remove(conn: Connection): boolean {
    if (!this.local.remove(conn)) return false;
    return this.leave(conn.peerId!, conn.online!.gen);
  }

  /** A peer online somewhere; false when a newer generation of it is already known. */
  join(entry: PresenceEntry): boolean {
    const peerId = entry.info.peerId;
    const previous = this.entries.get(peerId);
    if (previous && previous.gen > entry.gen) return false;
    this.entries.set(peerId, entry);
    if (previous && previous.userId !== entry.userId) this.forgetPeerOfUser(previous.userId, peerId);
    let peers = this.peersOfUser.get(entry.userId);
    if (!peers) this.peersOfUser.set(entry.userId, (peers = new Set()));
    peers.add(peerId);
    // A replaced socket (on this node or another) is the same peer: nobody hears about it.
    if (previous) return true;
    const back = this.presumed.take(peerId);
    if (back) {
      // Back after a restart: whoever was refused PEER_AWAY about it hears it is here (their mesh sends again).
      if (back.waiters.size > 0) {
        const notice = Buffer.from(encodeMessage({ type: 'presence', joined: [entry.info], left: [] }));
        for (const waiter of back.waiters) if (waiter.state === 'online' && waiter.peerId !== peerId) waiter.sendEncoded(notice);
      }
      // Everyone already lists it: unless its entry changed, nobody needs to hear anything.
      const listed = this.announced.get(peerId);
      if (listed && samePeerInfo(listed.info, entry.info)) return true;
    }
    // Left and came back within one flush: the others never saw it leave.
    if (!this.left.delete(peerId)) this.joined.set(peerId, entry.info);
    this.schedule();
    return true;
  }

  /** A peer gone; with `gen`, only when that is still its current generation (a stale leave is ignored). */
  leave(peerId: PeerId, gen?: number): boolean {
    const entry = this.entries.get(peerId);
    if (!entry || (gen !== undefined && entry.gen !== gen)) return false;
    this.entries.delete(peerId);
    this.forgetPeerOfUser(entry.userId, peerId);
    // Joined and left within one flush: the others never saw it join.
    if (!this.joined.delete(peerId)) this.left.add(peerId);
    this.schedule();
    return true;
  }

  private forgetPeerOfUser(userId: string, peerId: PeerId): void {
    const peers = this.peersOfUser.get(userId);
    peers?.delete(peerId);
    if (peers?.size === 0) this.peersOfUser.delete(userId);
  }

  /**
   * The saved room of a restarted node: its members are presumed online for `graceMs` (listed, not
   * reachable); those not back by then are announced gone.
   */
  restore(saved: readonly SavedPeer[], graceMs: number): void {
    const fresh = saved.filter((peer) => !this.announced.has(peer.info.peerId) && !this.entries.has(peer.info.peerId));
    for (const peer of fresh) this.announced.set(peer.info);
    this.presumed.restore(fresh, graceMs, (gone) => this.presumedGone(gone));
    this.revision++;
  }

  /** Presumed online after a restart and not back yet: a signal or relayed frame to it cannot be delivered now. */
  isAway(peerId: PeerId): boolean {
    return this.presumed.has(peerId);
  }

  /** `sender` was refused PEER_AWAY about `peerId`: it is told when the peer is back. */
  awaitReturn(peerId: PeerId, sender: Connection): void {
    this.presumed.wait(peerId, sender);
  }

  /** A revoked session: its presumed peers will not be back (a logout during the restart). */
  dropSession(tokenHash: string): void {
    this.presumedGone(this.presumed.dropToken(tokenHash));
  }

  /** The room to save: every member the clients list that is online here or still presumed. */
  saved(): SavedPeer[] {
    const peers: SavedPeer[] = [];
    for (const info of this.announced.infos()) {
      const online = this.local.get(info.peerId)?.online;
      const presumed = online ? undefined : this.presumed.get(info.peerId);
      if (online) peers.push({ info, userId: online.userId, tokenHash: online.tokenHash });
      else if (presumed) peers.push({ info, userId: presumed.userId, tokenHash: presumed.tokenHash });
    }
    return peers;
  }

  private presumedGone(peerIds: readonly PeerId[]): void {
    for (const peerId of peerIds) if (!this.entries.has(peerId) && this.announced.has(peerId)) this.left.add(peerId);
    if (peerIds.length > 0) this.schedule();
  }

  /** A partial welcome's fields when the client named the room it holds and few buckets differ; undefined: send the whole room. */
  private delta(self: PeerId, known: KnownRoom | undefined): { peers: PeerInfo[]; partial: { buckets: number; changed: number[] } } | undefined {
    const theirs = known && decodeDigest(known.digest, known.buckets);
    if (!known || !theirs) return undefined;
    const own = this.announced.get(self);
    const changed = this.announced.digest.changedBuckets(known.buckets, theirs, own && { peerId: self, hash: own.hash });
    // Past half of the buckets the whole room (one shared Buffer) costs the server less.
    if (changed.length * 2 > known.buckets) return undefined;
    return { peers: this.announced.peersIn(known.buckets, changed, self), partial: { buckets: known.buckets, changed } };
  }

  /**
   * The encoded welcome of a newly online peer, as fragments of one message. In a room of thousands
   * the peer list is most of it (~100 bytes a peer): it is encoded once per presence change and the
   * same Buffer is sent in every welcome (the load bench's 10,000 connects spent 22 s of 50 s of CPU
   * encoding welcomes before; copying the list into each welcome cost as much again after a restart).
   */
  welcome(self: PeerInfo, settings: RoomSettings, nodes: string[] = [], known?: KnownRoom): Buffer[] {
    // A cluster's welcome names its live nodes (a client that loses its node tries the others).
    const cluster = nodes.length > 0 ? { nodes } : {};
    const delta = this.delta(self.peerId, known);
    if (delta) return [Buffer.from(encodeMessage({ type: 'welcome', self, settings, ...cluster, ...delta }))];
    // Strings inside `self` are escaped, so the unescaped field can only be the key itself.
    const empty = encodeMessage({ type: 'welcome', self, peers: [], settings, ...cluster });
    const at = empty.indexOf(EMPTY_PEERS_FIELD) + EMPTY_PEERS_FIELD.length - 2;
    // A peer already listed (a replaced socket, back within one flush, or presumed after a restart) must not list itself.
    return [Buffer.from(empty.slice(0, at)), ...this.announced.jsonWithout(self.peerId), Buffer.from(empty.slice(at + 2))];
  }

  /** This node's connections authenticated with one session token. */
  connectionsOfToken(tokenHash: string): Connection[] {
    return this.local.connectionsOfToken(tokenHash);
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.presumed.close();
  }

  /** The spacing credit now: it grows back by the time elapsed, up to FLUSH_CREDIT_MAX_MS. */
  private creditNow(now: number): number {
    this.credit = Math.min(FLUSH_CREDIT_MAX_MS, this.credit + (now - this.creditAt));
    this.creditAt = now;
    return this.credit;
  }

  private schedule(): void {
    if (this.timer) return;
    // Under sustained changes the credit runs out and each flush waits until the time since the last
    // pays for FLUSH_LOAD_FACTOR times its cost, so broadcasting takes at most ~1/(1 + FLUSH_LOAD_FACTOR)
    // of the time: with thousands online, more frequent flushes would only multiply the messages.
    const owed = Math.max(0, -this.creditNow(performance.now()));
    this.timer = setTimeout(() => this.flush(), Math.min(FLUSH_MAX_MS, Math.max(this.flushMs, owed)));
  }

  flush(): void {
    const started = performance.now();
    this.broadcast();
    const ended = performance.now();
    const spacing = (ended - started) * FLUSH_LOAD_FACTOR;
    // Never owed more than this flush's own spacing: after a long burst (10,000 connecting) an
    // unbounded debt held every later change back by FLUSH_MAX_MS until it was paid off.
    this.credit = Math.max(-spacing, this.creditNow(ended) - spacing);
  }

  private broadcast(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.joined.size === 0 && this.left.size === 0) return;
    for (const peerId of this.left) this.announced.delete(peerId);
    for (const info of this.joined.values()) this.announced.set(info);
    this.revision++;
    const batch = new PresenceBatch([...this.joined.values()], [...this.left]);
    this.joined.clear();
    this.left.clear();
    for (const conn of this.local.values()) conn.sendFragments(batch.for(conn.peerId!));
  }
}
