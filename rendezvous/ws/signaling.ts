// Signaling: forwards a signal to one online peer with the sender stamped by the server. Any
// sender the client may have written into the message is never read. A receiver that is not
// reading is never disconnected for what others send it: like relayed frames, signals beyond
// RELAY_DROP_ABOVE_BYTES of its backlog are dropped, and the sender told.

import { RELAY_DROP_ABOVE_BYTES } from '../../shared/limits';
import type { SignalToMessage } from '../../shared/protocol';
import type { Connection } from './connection';
import type { Presence } from './presence';

export function forwardSignal(sender: Connection, message: SignalToMessage, presence: Presence): void {
  const receiver = presence.get(message.to);
  if (!receiver || receiver === sender) {
    sender.sendError('UNKNOWN_PEER', 'That peer is not online.', message.to);
    return;
  }
  if (receiver.backlog > RELAY_DROP_ABOVE_BYTES) {
    sender.sendError('SIGNAL_DROPPED', 'The receiver is not keeping up; signal dropped.', message.to);
    return;
  }
  receiver.send({ type: 'signal', from: sender.peerId!, data: message.data });
}
