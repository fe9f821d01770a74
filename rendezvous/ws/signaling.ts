// Signaling: forwards a signal to one online peer with the sender stamped by the server. Any
// sender the client may have written into the message is never read. A receiver that is not
// reading is never disconnected for what others send it: like relayed frames, signals beyond
// RELAY_DROP_ABOVE_BYTES of its backlog are dropped, and the sender told. A receiver on another
// node of a cluster gets the signal through the broker; its node checks the backlog there.

import { RELAY_DROP_ABOVE_BYTES } from '../../shared/limits';
import type { PeerId, SignalData, SignalToMessage } from '../../shared/protocol';
import type { Broker } from '../cluster/broker';
import type { TrafficStats } from '../metrics';
import type { Connection } from './connection';
import type { Presence } from './presence';

export const SIGNAL_DROPPED_MESSAGE = 'The receiver is not keeping up; signal dropped.';
export const PEER_AWAY_MESSAGE = 'That peer is expected back after a server restart: sent again when it is.';

/**
 * A receiver presumed online after a restart and not back yet: the sender is told PEER_AWAY (nothing
 * is kept for it here) and hears a presence message naming the peer once it is back. True when so.
 */
export function refuseIfAway(sender: Connection, to: PeerId, presence: Presence): boolean {
  if (!presence.isAway(to)) return false;
  sender.sendError('PEER_AWAY', PEER_AWAY_MESSAGE, to);
  presence.awaitReturn(to, sender);
  return true;
}

export function forwardSignal(sender: Connection, message: SignalToMessage, presence: Presence, broker?: Broker, stats?: TrafficStats): void {
  const receiver = presence.get(message.to);
  const entry = receiver ? undefined : presence.entry(message.to);
  if (broker && entry && entry.node !== presence.node) {
    broker.signal(entry.node, sender.peerId!, message.to, message.data);
    stats?.signal('remote');
    return;
  }
  if (!receiver && refuseIfAway(sender, message.to, presence)) return;
  if (!receiver || receiver === sender) {
    sender.sendError('UNKNOWN_PEER', 'That peer is not online.', message.to);
    return;
  }
  if (!deliverSignal(receiver, sender.peerId!, message.data)) sender.sendError('SIGNAL_DROPPED', SIGNAL_DROPPED_MESSAGE, message.to);
  else stats?.signal('local');
}

/** Hands a signal to a socket of this node; false when it is too far behind to take it. */
export function deliverSignal(receiver: Connection, from: PeerId, data: SignalData): boolean {
  if (receiver.backlog > RELAY_DROP_ABOVE_BYTES) return false;
  receiver.send({ type: 'signal', from, data });
  return true;
}
