// Relay of peer traffic for pairs that cannot link directly: binary envelopes forwarded unchanged
// with the sender stamped. Backpressure per receiver: senders are told to pause when the receiver
// is backed up, told to resume once it drains, and frames beyond a hard limit are dropped.
//
// "Backed up" is the receiver socket's bufferedAmount on this node. For a receiver on another node
// of a cluster it is the bytes sent to it that its node has not credited back yet (credits.ts):
// that node credits them once they have left for the receiver's socket.

import { RELAY_DROP_ABOVE_BYTES, RELAY_NODE_IN_FLIGHT_MAX_BYTES, RELAY_PAUSE_ABOVE_BYTES, RELAY_RESUME_BELOW_BYTES } from '../../shared/limits';
import type { PeerId, RelayMode } from '../../shared/protocol';
import { decodeRelayRequest, restampInPlace } from '../../shared/relayEnvelope';
import type { Broker } from '../cluster/broker';
import type { TrafficStats } from '../metrics';
import type { Connection } from './connection';
import { CreditLedger } from './credits';
import type { Presence } from './presence';
import { refuseIfAway } from './signaling';

/** How often a backed-up receiver's buffer is checked while senders are paused (ms). */
const DRAIN_POLL_MS = 25;

export class Relay {
  /** Backed-up receiver -> the senders told to pause for it. */
  private readonly paused = new Map<PeerId, Set<Connection>>();
  private timer: NodeJS.Timeout | undefined;
  /** Bytes in flight to receivers on other nodes. */
  readonly inFlight = new CreditLedger();

  constructor(
    private readonly mode: RelayMode,
    private readonly presence: Presence,
    private readonly broker?: Broker,
    private readonly stats?: TrafficStats,
  ) {}

  /** Forwards one binary frame to each receiver it names. Throws ChatError for a malformed envelope (the caller counts it). */
  forward(sender: Connection, frame: Buffer): void {
    const bytes = new Uint8Array(frame.buffer, frame.byteOffset, frame.byteLength);
    const request = decodeRelayRequest(bytes);
    if (this.mode === 'off') {
      for (const to of request.peerIds) sender.sendError('RELAY_DISABLED', 'The relay is disabled on this server.', to);
      return;
    }
    // Stamped with the sender once, in place (no copy), the same bytes go to every receiver.
    let stamped: Uint8Array | undefined;
    const stamp = () => (stamped ??= restampInPlace(bytes, request.payload.byteOffset - bytes.byteOffset, sender.peerId!));
    const remote = new Map<string, PeerId[]>();
    for (const to of request.peerIds) {
      const receiver = this.presence.get(to);
      const entry = receiver ? undefined : this.presence.entry(to);
      if (!receiver && !entry && refuseIfAway(sender, to, this.presence)) continue;
      if (receiver === sender || (!receiver && (!entry || !this.broker || entry.node === this.presence.node))) {
        sender.sendError('UNKNOWN_PEER', 'That peer is not online.', to);
        continue;
      }
      if (this.backlogOf(to) > RELAY_DROP_ABOVE_BYTES || (entry && this.inFlight.ofNode(entry.node) > RELAY_NODE_IN_FLIGHT_MAX_BYTES)) {
        sender.sendError('RELAY_BACKED_UP', 'The receiver is not keeping up; frame dropped.', to);
        this.stats?.dropped();
        this.pause(sender, to);
        continue;
      }
      if (receiver) {
        receiver.sendBinary(stamp());
        this.stats?.relayed('local', bytes.byteLength);
        if (receiver.backlog > RELAY_PAUSE_ABOVE_BYTES) this.pause(sender, to);
        continue;
      }
      const peers = remote.get(entry!.node) ?? [];
      remote.set(entry!.node, peers.concat(to));
    }
    for (const [node, peers] of remote) {
      // One publish per node, whatever the number of its receivers.
      this.broker!.relay(node, peers, stamp());
      this.stats?.relayed('remote', bytes.byteLength);
      for (const to of peers) {
        this.inFlight.add(to, node, bytes.byteLength);
        if (this.inFlight.of(to) > RELAY_PAUSE_ABOVE_BYTES) this.pause(sender, to);
      }
    }
  }

  /** A credit from the receiver's node: `bytes` to `peer` have left for its socket. */
  credit(peer: PeerId, bytes: number): void {
    this.inFlight.credit(peer, bytes);
  }

  /** A sender that left waits for nobody. */
  forget(sender: Connection): void {
    for (const [receiver, senders] of this.paused) if (senders.delete(sender) && senders.size === 0) this.paused.delete(receiver);
  }

  /** A receiver that left: nothing is in flight to it any more. */
  forgetReceiver(peer: PeerId): void {
    this.inFlight.forget(peer);
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.paused.clear();
  }

  /** What stands between a receiver and its socket: its socket's buffer here, the uncredited bytes elsewhere. */
  private backlogOf(peer: PeerId): number {
    const receiver = this.presence.get(peer);
    return receiver ? receiver.backlog : this.inFlight.of(peer);
  }

  private pause(sender: Connection, receiver: PeerId): void {
    let senders = this.paused.get(receiver);
    if (!senders) this.paused.set(receiver, (senders = new Set()));
    if (senders.has(sender)) return;
    senders.add(sender);
    sender.send({ type: 'relay-flow', peer: receiver, paused: true });
    this.timer ??= setInterval(() => this.poll(), DRAIN_POLL_MS);
  }

  private poll(): void {
    this.inFlight.writeOffStale();
    for (const [receiverId, senders] of this.paused) {
      // A receiver that left is announced by presence; its paused senders need nothing more.
      if (!this.presence.entry(receiverId)) {
        this.paused.delete(receiverId);
        continue;
      }
      if (this.backlogOf(receiverId) >= RELAY_RESUME_BELOW_BYTES) continue;
      for (const sender of senders) if (sender.state === 'online') sender.send({ type: 'relay-flow', peer: receiverId, paused: false });
      this.paused.delete(receiverId);
    }
    if (this.paused.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
