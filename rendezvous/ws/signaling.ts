// Signaling: forwards a signal to one online peer with the sender stamped by the server. Any
// sender the client may have written into the message is never read.

import type { SignalToMessage } from '../../shared/protocol';
import type { Connection } from './connection';
import type { Presence } from './presence';

export function forwardSignal(sender: Connection, message: SignalToMessage, presence: Presence): void {
  const receiver = presence.get(message.to);
  if (!receiver || receiver === sender) {
    sender.sendError('UNKNOWN_PEER', 'That peer is not online.', message.to);
    return;
  }
  receiver.send({ type: 'signal', from: sender.peerId!, data: message.data });
}
