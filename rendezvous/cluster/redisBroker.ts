// The cluster broker on Redis (node-redis v6). What each node keeps in Redis, all under one prefix:
//   node:<name>   its advertised address, expiring NODE_ENTRY_TTL_MS after the last heartbeat
//   peers:<name>  a hash peer id -> presence entry (owner node, generation), same expiry
//   nodes         the set of node names ever started (tidied when their alive key is gone)
// and on pub/sub:
//   room          joins, leaves, heartbeats (with the node's peer count), goodbyes, session closes,
//                 unauthenticated sockets per client address (JSON)
//   to:<name>     what is meant for one node: relayed frames, signals, errors, credits (binary)
//
// Failure handling: a node that misses heartbeats for NODE_DEAD_AFTER_MS is gone and its peers
// leave. This node hears its own heartbeats back (a probe): when they stop while it can still
// publish, its subscriber is deaf (a killed pub/sub connection, a resubscribe that did not happen)
// and is opened anew. After any (re)connection the node rewrites its own peers and reads everyone
// else's (resync), so presence is rebuilt whatever was missed. A heartbeat whose peer count differs
// from what this node holds for that node makes it read that node's peers again (anti-entropy).

import { NODE_DEAD_AFTER_MS, NODE_ENTRY_TTL_MS, NODE_HEARTBEAT_MS, REDIS_RELAY_BATCH_MAX_BYTES } from '../../shared/limits';
import type { ErrorCode } from '../../shared/errors';
import type { PeerId, SignalData } from '../../shared/protocol';
import type { PresenceEntry } from '../ws/presence';
import type { Broker, BrokerInbox, NodeInfo } from './broker';
import { connectWithin, makeRedisClient, type RedisClient } from './redisClient';

export interface RedisBrokerOptions {
  url: string;
  node: string;
  /** This node's address for clients (http(s) origin). */
  advertisedUrl: string;
  /** Key and channel prefix (several rooms may share one Redis). */
  prefix?: string;
  log(message: string): void;
  heartbeatMs?: number;
  deadAfterMs?: number;
  entryTtlMs?: number;
}

type RoomMessage =
  | { t: 'beat'; node: string; url: string; count: number }
  | { t: 'join'; node: string; entry: PresenceEntry }
  | { t: 'leave'; node: string; peerId: PeerId; gen: number }
  | { t: 'bye'; node: string }
  | { t: 'close-session'; node: string; tokenHash: string }
  | { t: 'pending'; node: string; c: Array<[string, number]> };

type DirectHeader =
  /** Several relayed frames, their bytes one after the other: each frame's receivers and length. */
  | { k: 'relays'; from: string; f: Array<[PeerId[], number]> }
  | { k: 'signal'; from: string; peer: PeerId; to: PeerId; data: SignalData }
  | { k: 'error'; to: PeerId; code: ErrorCode; message: string; peer: PeerId }
  | { k: 'credit'; c: Array<[PeerId, number]> };

interface KnownNode {
  url: string;
  lastBeat: number;
  /** Heartbeats in a row whose peer count differed from ours. */
  mismatches: number;
}

const EMPTY = Buffer.alloc(0);

/** Relayed frames for one node, waiting for the end of the event-loop turn. */
interface RelayBatch {
  frames: Array<[PeerId[], number]>;
  payloads: Uint8Array[];
  bytes: number;
}

export class RedisBroker implements Broker {
  readonly node: string;
  private readonly prefix: string;
  private readonly heartbeatMs: number;
  private readonly deadAfterMs: number;
  private readonly entryTtlMs: number;
  private readonly pub: RedisClient;
  private sub: RedisClient | undefined;
  private inbox!: BrokerInbox;
  private localEntries!: () => PresenceEntry[];
  private readonly known = new Map<string, KnownNode>();
  private lastOwnBeat = performance.now();
  private timer: NodeJS.Timeout | undefined;
  private readonly pendingCredits = new Map<string, Map<PeerId, number>>();
  private creditFlush: NodeJS.Immediate | undefined;
  private readonly pendingCounts = new Map<string, number>();
  private pendingFlush: NodeJS.Immediate | undefined;
  private readonly relayBatches = new Map<string, RelayBatch>();
  private relayFlush: NodeJS.Immediate | undefined;
  private resyncing: Promise<void> | undefined;
  private resyncAgain = false;
  private reopening = false;
  private closed = false;
  private lastErrorLog = '';
  private advertisedUrl: string;

  constructor(private readonly options: RedisBrokerOptions) {
    this.node = options.node;
    this.advertisedUrl = options.advertisedUrl;
    this.prefix = options.prefix ?? 'chatroom:';
    this.heartbeatMs = options.heartbeatMs ?? NODE_HEARTBEAT_MS;
    this.deadAfterMs = options.deadAfterMs ?? NODE_DEAD_AFTER_MS;
    this.entryTtlMs = options.entryTtlMs ?? NODE_ENTRY_TTL_MS;
    this.pub = makeRedisClient(options.url, `chatroom-${this.node}`, (error) => this.logError('publisher', error));
  }

  /** Sets the address this node announces, before start (the configured one, or the one it listens on). */
  advertise(url: string): void {
    this.advertisedUrl = url;
  }

  get connected(): boolean {
    return this.pub.isReady && (this.sub?.isReady ?? false);
  }

  async start(inbox: BrokerInbox, localEntries: () => PresenceEntry[]): Promise<void> {
    this.inbox = inbox;
    this.localEntries = localEntries;
    try {
      await connectWithin(this.pub, this.options.url);
      await this.openSubscriber();
    } catch (error) {
      await this.close().catch(() => {});
      throw error;
    }
    // After a reconnect the node's keys may have expired: write them again and read the others'.
    this.pub.on('ready', () => this.resync());
    await this.resync();
    this.timer = setInterval(() => this.beat(), this.heartbeatMs);
  }

  announceJoin(entry: PresenceEntry): void {
    if (!this.pub.isReady) return; // the resync after the reconnect publishes it
    this.pub.hSet(this.key('peers', this.node), entry.info.peerId, JSON.stringify(entry)).catch(() => {});
    this.publishRoom({ t: 'join', node: this.node, entry });
  }

  announceLeave(entry: PresenceEntry): void {
    if (!this.pub.isReady) return;
    this.pub.hDel(this.key('peers', this.node), entry.info.peerId).catch(() => {});
    this.publishRoom({ t: 'leave', node: this.node, peerId: entry.info.peerId, gen: entry.gen });
  }

  signal(node: string, from: PeerId, to: PeerId, data: SignalData): void {
    this.direct(node, { k: 'signal', from: this.node, peer: from, to, data });
  }

  peerError(node: string, to: PeerId, code: ErrorCode, message: string, peer: PeerId): void {
    this.direct(node, { k: 'error', to, code, message, peer });
  }

  /** Frames for one node go out together at the end of this event-loop turn, or once REDIS_RELAY_BATCH_MAX_BYTES are waiting. */
  relay(node: string, to: PeerId[], bytes: Uint8Array): void {
    let batch = this.relayBatches.get(node);
    if (!batch) this.relayBatches.set(node, (batch = { frames: [], payloads: [], bytes: 0 }));
    batch.frames.push([to, bytes.byteLength]);
    batch.payloads.push(bytes);
    batch.bytes += bytes.byteLength;
    if (batch.bytes >= REDIS_RELAY_BATCH_MAX_BYTES) return this.flushRelays(node);
    this.relayFlush ??= setImmediate(() => {
      this.relayFlush = undefined;
      for (const waiting of [...this.relayBatches.keys()]) this.flushRelays(waiting);
    });
  }

  private flushRelays(node: string): void {
    const batch = this.relayBatches.get(node);
    if (!batch) return;
    this.relayBatches.delete(node);
    this.publishDirect(node, { k: 'relays', from: this.node, f: batch.frames }, batch.payloads, batch.bytes);
  }

  /** Credits are gathered per node and sent once per event-loop turn. */
  credit(node: string, peer: PeerId, bytes: number): void {
    let credits = this.pendingCredits.get(node);
    if (!credits) this.pendingCredits.set(node, (credits = new Map()));
    credits.set(peer, (credits.get(peer) ?? 0) + bytes);
    this.creditFlush ??= setImmediate(() => {
      this.creditFlush = undefined;
      for (const [to, batch] of this.pendingCredits) this.direct(to, { k: 'credit', c: [...batch] });
      this.pendingCredits.clear();
    });
  }

  closeSession(tokenHash: string): void {
    this.publishRoom({ t: 'close-session', node: this.node, tokenHash });
  }

  /** The latest count of each address that changed, published once per event-loop turn. */
  reportPending(address: string, count: number): void {
    this.pendingCounts.set(address, count);
    this.pendingFlush ??= setImmediate(() => {
      this.pendingFlush = undefined;
      this.publishRoom({ t: 'pending', node: this.node, c: [...this.pendingCounts] });
      this.pendingCounts.clear();
    });
  }

  liveNodes(): NodeInfo[] {
    const nodes: NodeInfo[] = [{ name: this.node, url: this.advertisedUrl }];
    for (const [name, known] of this.known) nodes.push({ name, url: known.url });
    return nodes;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    clearImmediate(this.creditFlush);
    clearImmediate(this.relayFlush);
    clearImmediate(this.pendingFlush);
    if (this.pub.isReady) {
      // A clean goodbye: the others drop this node's peers at once instead of after NODE_DEAD_AFTER_MS.
      await this.pub.publish(this.key('room'), JSON.stringify({ t: 'bye', node: this.node } satisfies RoomMessage)).catch(() => {});
      await this.pub.del([this.key('peers', this.node), this.key('node', this.node)]).catch(() => {});
    }
    for (const client of [this.sub, this.pub]) if (client?.isOpen) await client.close().catch(() => client.destroy());
  }

  private key(...parts: string[]): string {
    return this.prefix + parts.join(':');
  }

  private logError(who: string, error: Error): void {
    // One line per kind of failure, not one per reconnect attempt.
    const line = `redis ${who}: ${error.message}`;
    if (line !== this.lastErrorLog) this.options.log(line);
    this.lastErrorLog = line;
  }

  private async openSubscriber(): Promise<void> {
    const sub = this.pub.duplicate();
    sub.on('error', (error: Error) => this.logError('subscriber', error));
    await connectWithin(sub, this.options.url);
    await sub.subscribe(this.key('room'), (message: string) => this.onRoom(message));
    await sub.subscribe(this.key('to', this.node), (message: Buffer) => this.onDirect(message), true);
    // node-redis resubscribes by itself after a reconnect; the resync brings back what was missed.
    sub.on('ready', () => this.resync());
    this.sub = sub;
    this.lastOwnBeat = performance.now();
  }

  /** The probe found the subscriber deaf: a new one, then a resync. */
  private async reopenSubscriber(): Promise<void> {
    if (this.reopening || this.closed) return;
    this.reopening = true;
    this.options.log('redis: this node no longer hears its own heartbeats; opening a new subscriber');
    const old = this.sub;
    this.sub = undefined;
    old?.destroy();
    try {
      await this.openSubscriber();
      await this.resync();
    } catch (error) {
      this.logError('subscriber', error as Error);
    } finally {
      this.reopening = false;
    }
  }

  private publishRoom(message: RoomMessage): void {
    if (this.pub.isReady) this.pub.publish(this.key('room'), JSON.stringify(message)).catch(() => {});
  }

  private direct(node: string, header: DirectHeader, payload: Uint8Array = EMPTY): void {
    // Frames relayed before a signal or an error to that node arrive before it, as on one node.
    this.flushRelays(node);
    this.publishDirect(node, header, [payload], payload.byteLength);
  }

  private publishDirect(node: string, header: DirectHeader, payloads: readonly Uint8Array[], payloadBytes: number): void {
    if (!this.pub.isReady) return; // lost like a frame to a peer that left: the mesh resends
    const json = Buffer.from(JSON.stringify(header));
    const message = Buffer.allocUnsafe(4 + json.length + payloadBytes);
    message.writeUInt32BE(json.length, 0);
    json.copy(message, 4);
    let at = 4 + json.length;
    for (const payload of payloads) {
      message.set(payload, at);
      at += payload.byteLength;
    }
    this.pub.publish(this.key('to', node), message).catch(() => {});
  }

  /** Rewrites this node's keys from its sockets and reads every other live node's peers. */
  private resync(): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (this.resyncing) {
      this.resyncAgain = true;
      return this.resyncing;
    }
    this.resyncing = (async () => {
      do {
        this.resyncAgain = false;
        await this.resyncOnce().catch((error: Error) => this.logError('resync', error));
      } while (this.resyncAgain && !this.closed);
    })().finally(() => (this.resyncing = undefined));
    return this.resyncing;
  }

  private async resyncOnce(): Promise<void> {
    if (!this.pub.isReady) return;
    const peersKey = this.key('peers', this.node);
    const fields: Record<string, string> = {};
    for (const entry of this.localEntries()) fields[entry.info.peerId] = JSON.stringify(entry);
    const write = this.pub.multi().del(peersKey);
    if (Object.keys(fields).length > 0) write.hSet(peersKey, fields).pExpire(peersKey, this.entryTtlMs);
    await write.set(this.key('node', this.node), this.advertisedUrl, { PX: this.entryTtlMs }).sAdd(this.key('nodes'), this.node).exec();
    const names = (await this.pub.sMembers(this.key('nodes'))).filter((name) => name !== this.node);
    const now = performance.now();
    for (const name of names) {
      const url = await this.pub.get(this.key('node', name));
      if (url === null) {
        await this.pub.sRem(this.key('nodes'), name).catch(() => {});
        if (this.known.delete(name)) this.inbox.nodeGone(name);
        continue;
      }
      await this.readNode(name);
      this.known.set(name, { url, lastBeat: now, mismatches: 0 });
    }
    this.beat();
  }

  /** Reads one node's peers from its hash and makes them the directory's view of that node. */
  private async readNode(name: string): Promise<void> {
    const raw = await this.pub.hGetAll(this.key('peers', name));
    const entries: PresenceEntry[] = [];
    for (const value of Object.values(raw)) {
      try {
        entries.push(JSON.parse(value) as PresenceEntry);
      } catch {
        // a field this version cannot read: skipped
      }
    }
    this.inbox.nodeState(name, entries);
  }

  private beat(): void {
    if (this.closed) return;
    const now = performance.now();
    if (this.pub.isReady) {
      const peersKey = this.key('peers', this.node);
      this.pub
        .multi()
        .set(this.key('node', this.node), this.advertisedUrl, { PX: this.entryTtlMs })
        .pExpire(peersKey, this.entryTtlMs)
        .sAdd(this.key('nodes'), this.node)
        .publish(this.key('room'), JSON.stringify({ t: 'beat', node: this.node, url: this.advertisedUrl, count: this.localEntries().length } satisfies RoomMessage))
        .exec()
        .catch(() => {});
      if (now - this.lastOwnBeat > this.deadAfterMs && this.sub) void this.reopenSubscriber();
    }
    for (const [name, known] of this.known) {
      if (now - known.lastBeat <= this.deadAfterMs) continue;
      this.known.delete(name);
      this.options.log(`cluster: node ${name} silent for ${Math.round(now - known.lastBeat)} ms; its peers have left`);
      this.inbox.nodeGone(name);
    }
  }

  private onRoom(raw: string): void {
    let message: RoomMessage;
    try {
      message = JSON.parse(raw) as RoomMessage;
    } catch {
      return;
    }
    const now = performance.now();
    if (message.node === this.node) {
      if (message.t === 'beat') this.lastOwnBeat = now;
      return;
    }
    if (message.t === 'bye') {
      this.known.delete(message.node);
      this.inbox.nodeGone(message.node);
      return;
    }
    const known = this.known.get(message.node);
    if (known) known.lastBeat = now;
    switch (message.t) {
      case 'beat':
        if (!known) {
          // A node new to this one (started, or back from a partition): read its peers.
          this.known.set(message.node, { url: message.url, lastBeat: now, mismatches: 0 });
          this.readNode(message.node).catch(() => {});
        } else if (this.inbox.peersOf(message.node) !== message.count) {
          // Two beats in a row (the first may race a join in flight): read its peers again.
          if (++known.mismatches >= 2) {
            known.mismatches = 0;
            this.readNode(message.node).catch(() => {});
          }
        } else known.mismatches = 0;
        return;
      case 'join':
        this.inbox.join(message.entry);
        return;
      case 'leave':
        this.inbox.leave(message.peerId, message.gen);
        return;
      case 'close-session':
        this.inbox.closeSession(message.tokenHash);
        return;
      case 'pending':
        this.inbox.pending(message.node, message.c);
        return;
    }
  }

  private onDirect(message: Buffer): void {
    if (message.length < 4) return;
    const headerLength = message.readUInt32BE(0);
    let header: DirectHeader;
    try {
      header = JSON.parse(message.subarray(4, 4 + headerLength).toString('utf8')) as DirectHeader;
    } catch {
      return;
    }
    switch (header.k) {
      case 'relays': {
        let at = 4 + headerLength;
        for (const [to, length] of header.f) {
          if (at + length > message.length) return;
          this.inbox.relay(header.from, to, message.subarray(at, at + length));
          at += length;
        }
        return;
      }
      case 'signal':
        this.inbox.signal(header.from, header.peer, header.to, header.data);
        return;
      case 'error':
        this.inbox.peerError(header.to, header.code, header.message, header.peer);
        return;
      case 'credit':
        for (const [peer, bytes] of header.c) this.inbox.credit(peer, bytes);
        return;
    }
  }
}
