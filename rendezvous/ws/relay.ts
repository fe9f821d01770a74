// Relay of peer traffic for pairs that cannot link directly: binary envelopes forwarded unchanged
// with the sender stamped. Backpressure per receiver: senders are told to pause when its socket
// is backed up, told to resume once it drains, and frames beyond a hard limit are dropped.

import { RELAY_DROP_ABOVE_BYTES, RELAY_PAUSE_ABOVE_BYTES, RELAY_RESUME_BELOW_BYTES } from '../../shared/limits';
import type { PeerId, RelayMode } from '../../shared/protocol';
import { decodeRelayRequest, restampInPlace } from '../../shared/relayEnvelope';
import type { Connection } from './connection';
import type { Presence } from './presence';

/** How often a backed-up receiver's buffer is checked while senders are paused (ms). */
const DRAIN_POLL_MS = 25;

export class Relay {
  /** Backed-up receiver -> the senders told to pause for it. */
  private readonly paused = new Map<PeerId, Set<Connection>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly mode: RelayMode,
    private readonly presence: Presence,
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
    for (const to of request.peerIds) {
      const receiver = this.presence.get(to);
      if (!receiver || receiver === sender) {
        sender.sendError('UNKNOWN_PEER', 'That peer is not online.', to);
        continue;
      }
      if (receiver.ws.bufferedAmount > RELAY_DROP_ABOVE_BYTES) {
        sender.sendError('RELAY_BACKED_UP', 'The receiver is not keeping up; frame dropped.', to);
        this.pause(sender, to);
        continue;
      }
      stamped ??= restampInPlace(bytes, request.payload.byteOffset - bytes.byteOffset, sender.peerId!);
      receiver.ws.send(stamped, { binary: true });
      if (receiver.ws.bufferedAmount > RELAY_PAUSE_ABOVE_BYTES) this.pause(sender, to);
    }
  }

  /** A sender that left waits for nobody. */
  forget(sender: Connection): void {
    for (const [receiver, senders] of this.paused) if (senders.delete(sender) && senders.size === 0) this.paused.delete(receiver);
  }

  close(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.paused.clear();
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
    for (const [receiverId, senders] of this.paused) {
      const receiver = this.presence.get(receiverId);
      // A receiver that left is announced by presence; its paused senders need nothing more.
      if (!receiver) {
        this.paused.delete(receiverId);
        continue;
      }
      if (receiver.ws.bufferedAmount >= RELAY_RESUME_BELOW_BYTES) continue;
      for (const sender of senders) if (sender.state === 'online') sender.send({ type: 'relay-flow', peer: receiverId, paused: false });
      this.paused.delete(receiverId);
    }
    if (this.paused.size === 0) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}
