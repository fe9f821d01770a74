// The broker seam between the nodes of a cluster: presence, signals, relayed frames, relay credits
// and session closes cross it. One node alone has no broker (everything is local); redisBroker.ts
// carries it over Redis pub/sub. Another engine would implement the same two interfaces.

import type { ErrorCode } from '../../shared/errors';
import type { PeerId, SignalData } from '../../shared/protocol';
import type { PresenceEntry } from '../ws/presence';

/** A live node: its name and the address its clients connect to (the welcome lists them). */
export interface NodeInfo {
  name: string;
  /** http(s) origin of the node, as configured (advertised_url). */
  url: string;
}

/** What other nodes deliver to this one. */
export interface BrokerInbox {
  /** A peer came online on another node (or again, with a newer generation). */
  join(entry: PresenceEntry): void;
  leave(peerId: PeerId, gen: number): void;
  /** Everything known of another node's peers (after a resync): entries of that node not listed are gone. */
  nodeState(node: string, entries: PresenceEntry[]): void;
  /** A node stopped beating (or said goodbye): its peers are gone. */
  nodeGone(node: string): void;
  /** Peers this node believes another node holds (compared with that node's own count). */
  peersOf(node: string): number;
  signal(fromNode: string, from: PeerId, to: PeerId, data: SignalData): void;
  /** An error for one of this node's peers (a signal it sent was dropped on the receiver's node). */
  peerError(to: PeerId, code: ErrorCode, message: string, peer: PeerId): void;
  /** Relayed bytes (an envelope already stamped with the sender) for peers of this node. */
  relay(fromNode: string, to: PeerId[], bytes: Uint8Array): void;
  /** Bytes relayed to `peer` that its node has passed on to the peer's socket. */
  credit(peer: PeerId, bytes: number): void;
  closeSession(tokenHash: string): void;
  /** Another node's counts of unauthenticated sockets per client address (0: none left). */
  pending(node: string, counts: Array<[string, number]>): void;
}

export interface Broker {
  readonly node: string;
  /** Connects, subscribes, publishes this node's peers (`localEntries`) and learns the others'. */
  start(inbox: BrokerInbox, localEntries: () => PresenceEntry[]): Promise<void>;
  announceJoin(entry: PresenceEntry): void;
  announceLeave(entry: PresenceEntry): void;
  signal(node: string, from: PeerId, to: PeerId, data: SignalData): void;
  peerError(node: string, to: PeerId, code: ErrorCode, message: string, peer: PeerId): void;
  relay(node: string, to: PeerId[], bytes: Uint8Array): void;
  credit(node: string, peer: PeerId, bytes: number): void;
  closeSession(tokenHash: string): void;
  /** This node's new count of unauthenticated sockets from `address` (the per-address cap counts every node's). */
  reportPending(address: string, count: number): void;
  /** Nodes alive now, this one included. */
  liveNodes(): NodeInfo[];
  /** True while the engine is reachable (readiness). */
  readonly connected: boolean;
  close(): Promise<void>;
}
