// What the other nodes of a cluster deliver to this one (cluster/broker.ts BrokerInbox): their
// peers' joins and leaves into the room directory, signals and relayed frames to this node's
// sockets, and credits for the frames this node relayed to theirs. Relayed bytes are credited
// back to the sender's node once they have left this node for the receiver's socket, so the
// sender's node can pace its senders without seeing this socket (relay.ts).

import { RELAY_DROP_ABOVE_BYTES, RELAY_RESUME_BELOW_BYTES } from '../../shared/limits';
import type { ErrorCode } from '../../shared/errors';
import type { PeerId, SignalData } from '../../shared/protocol';
import type { Broker, BrokerInbox } from '../cluster/broker';
import type { Connection } from './connection';
import type { Presence, PresenceEntry } from './presence';
import type { PendingPerAddress } from './pendingPerAddress';
import type { Relay } from './relay';
import { deliverSignal, SIGNAL_DROPPED_MESSAGE } from './signaling';

/** How often credits held for a backed-up receiver are checked (ms). */
const CREDIT_POLL_MS = 25;

export class ClusterInbox implements BrokerInbox {
  /** Credits held until a backed-up receiver's socket drains: receiver -> credits per sender node. */
  private readonly held = new Map<Connection, Map<string, number>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly presence: Presence,
    private readonly relayer: Relay,
    private readonly broker: Broker,
    private readonly closeSessionHere: (tokenHash: string) => void,
    /** Closes this node's socket of a peer that connected again elsewhere. */
    private readonly replacedElsewhere: (conn: Connection) => void,
    private readonly unauthenticated: PendingPerAddress,
  ) {}

  join(entry: PresenceEntry): void {
    const local = this.presence.get(entry.info.peerId);
    if (!this.presence.join(entry)) return;
    // The peer connected again on another node (a newer generation): this socket is stale.
    if (local && local.online!.gen < entry.gen) this.replacedElsewhere(local);
  }

  leave(peerId: PeerId, gen: number): void {
    if (this.presence.get(peerId)) return; // ours: only this node says when it leaves
    if (this.presence.leave(peerId, gen)) this.relayer.forgetReceiver(peerId);
  }

  nodeState(node: string, entries: PresenceEntry[]): void {
    const listed = new Set(entries.map((e) => e.info.peerId));
    for (const stale of this.presence.entriesOfNode(node)) if (!listed.has(stale.info.peerId)) this.leave(stale.info.peerId, stale.gen);
    for (const entry of entries) this.join(entry);
  }

  nodeGone(node: string): void {
    for (const entry of this.presence.entriesOfNode(node)) this.leave(entry.info.peerId, entry.gen);
    this.unauthenticated.forgetNode(node);
  }

  pending(node: string, counts: Array<[string, number]>): void {
    this.unauthenticated.setRemote(node, counts);
  }

  peersOf(node: string): number {
    return this.presence.entriesOfNode(node).length;
  }

  signal(fromNode: string, from: PeerId, to: PeerId, data: SignalData): void {
    const receiver = this.presence.get(to);
    if (!receiver) return this.broker.peerError(fromNode, from, 'UNKNOWN_PEER', 'That peer is not online.', to);
    if (!deliverSignal(receiver, from, data)) this.broker.peerError(fromNode, from, 'SIGNAL_DROPPED', SIGNAL_DROPPED_MESSAGE, to);
  }

  peerError(to: PeerId, code: ErrorCode, message: string, peer: PeerId): void {
    this.presence.get(to)?.sendError(code, message, peer);
  }

  relay(fromNode: string, to: PeerId[], bytes: Uint8Array): void {
    for (const peer of to) {
      const receiver = this.presence.get(peer);
      // Gone, or past the drop limit: nothing is held for it, so its bytes are credited at once.
      if (!receiver || receiver.backlog > RELAY_DROP_ABOVE_BYTES) {
        this.broker.credit(fromNode, peer, bytes.byteLength);
        continue;
      }
      receiver.sendBinary(bytes);
      if (receiver.backlog < RELAY_RESUME_BELOW_BYTES && !this.held.has(receiver)) this.broker.credit(fromNode, peer, bytes.byteLength);
      else this.hold(receiver, fromNode, bytes.byteLength);
    }
  }

  credit(peer: PeerId, bytes: number): void {
    this.relayer.credit(peer, bytes);
  }

  closeSession(tokenHash: string): void {
    this.closeSessionHere(tokenHash);
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.held.clear();
  }

  private hold(receiver: Connection, node: string, bytes: number): void {
    let credits = this.held.get(receiver);
    if (!credits) this.held.set(receiver, (credits = new Map()));
    credits.set(node, (credits.get(node) ?? 0) + bytes);
    this.timer ??= setInterval(() => this.release(), CREDIT_POLL_MS);
  }

  /** Credits back what backed-up receivers have drained (or all of it for one that left). */
  private release(): void {
    for (const [receiver, credits] of this.held) {
      if (receiver.state === 'online' && receiver.backlog >= RELAY_RESUME_BELOW_BYTES) continue;
      for (const [node, bytes] of credits) this.broker.credit(node, receiver.peerId!, bytes);
      this.held.delete(receiver);
    }
    if (this.held.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
