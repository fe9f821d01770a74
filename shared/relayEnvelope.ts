// Binary WebSocket frames carry relayed peer traffic: [1 byte id length][peer id, ASCII][payload].
// From a client the id names the receiver; the server rewrites it to the sender before forwarding,
// so a client can never choose the sender another peer sees.

import { ChatError } from './errors';
import { PEER_FRAME_MAX_BYTES } from './limits';
import { isPeerId, type PeerId } from './protocol';

export interface RelayEnvelope {
  peerId: PeerId;
  payload: Uint8Array;
}

export function encodeRelayEnvelope(peerId: PeerId, payload: Uint8Array): Uint8Array {
  if (!isPeerId(peerId)) throw new ChatError('BAD_MESSAGE', 'relay envelope needs a peer id');
  if (payload.byteLength > PEER_FRAME_MAX_BYTES) throw new ChatError('TOO_LARGE', `relay payload over ${PEER_FRAME_MAX_BYTES} bytes`);
  const out = new Uint8Array(1 + peerId.length + payload.byteLength);
  out[0] = peerId.length;
  for (let i = 0; i < peerId.length; i++) out[1 + i] = peerId.charCodeAt(i);
  out.set(payload, 1 + peerId.length);
  return out;
}

/** Parses an envelope. The payload is a view into `bytes` (no copy). */
export function decodeRelayEnvelope(bytes: Uint8Array): RelayEnvelope {
  if (bytes.byteLength < 1) throw new ChatError('BAD_MESSAGE', 'empty relay frame');
  const idLength = bytes[0];
  if (bytes.byteLength < 1 + idLength) throw new ChatError('BAD_MESSAGE', 'truncated relay frame');
  let peerId = '';
  for (let i = 0; i < idLength; i++) peerId += String.fromCharCode(bytes[1 + i]);
  if (!isPeerId(peerId)) throw new ChatError('BAD_MESSAGE', 'relay frame has no valid peer id');
  const payload = bytes.subarray(1 + idLength);
  if (payload.byteLength > PEER_FRAME_MAX_BYTES) throw new ChatError('TOO_LARGE', `relay payload over ${PEER_FRAME_MAX_BYTES} bytes`);
  if (payload.byteLength === 0) throw new ChatError('BAD_MESSAGE', 'relay frame has no payload');
  return { peerId, payload };
}
