// Binary WebSocket frames carry relayed peer traffic: [1 byte id length][peer id, ASCII][payload].
// From a client the id names the receiver; the server rewrites it to the sender before forwarding,
// so a client can never choose the sender another peer sees.
// A client may also name several receivers of one payload (an image chunk relayed to everyone),
// so it crosses the sender's link once: [0][count][count x peer id of PEER_ID_CHARS][payload].

import { ChatError } from './errors';
import { PEER_ID_CHARS, RELAY_PAYLOAD_MAX_BYTES, RELAY_RECIPIENTS_MAX } from './limits';
import { isPeerId, type PeerId } from './protocol';

export interface RelayEnvelope {
  peerId: PeerId;
  payload: Uint8Array;
}

export function encodeRelayEnvelope(peerId: PeerId, payload: Uint8Array): Uint8Array {
  if (!isPeerId(peerId)) throw new ChatError('BAD_MESSAGE', 'relay envelope needs a peer id');
  if (payload.byteLength > RELAY_PAYLOAD_MAX_BYTES) throw new ChatError('TOO_LARGE', `relay payload over ${RELAY_PAYLOAD_MAX_BYTES} bytes`);
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
  if (payload.byteLength > RELAY_PAYLOAD_MAX_BYTES) throw new ChatError('TOO_LARGE', `relay payload over ${RELAY_PAYLOAD_MAX_BYTES} bytes`);
  if (payload.byteLength === 0) throw new ChatError('BAD_MESSAGE', 'relay frame has no payload');
  return { peerId, payload };
}

/** Marks a multi-receiver envelope where a unicast one has its id length. */
const MULTICAST_MARK = 0;

/** A client's envelope for several receivers of one payload (one receiver: the unicast form). */
export function encodeRelayRequest(peerIds: readonly PeerId[], payload: Uint8Array): Uint8Array {
  if (peerIds.length === 1) return encodeRelayEnvelope(peerIds[0], payload);
  if (peerIds.length < 1 || peerIds.length > RELAY_RECIPIENTS_MAX) throw new ChatError('BAD_MESSAGE', `a relay envelope names 1 to ${RELAY_RECIPIENTS_MAX} receivers`);
  if (payload.byteLength > RELAY_PAYLOAD_MAX_BYTES) throw new ChatError('TOO_LARGE', `relay payload over ${RELAY_PAYLOAD_MAX_BYTES} bytes`);
  const headerBytes = 2 + peerIds.length * PEER_ID_CHARS;
  const out = new Uint8Array(headerBytes + payload.byteLength);
  out[0] = MULTICAST_MARK;
  out[1] = peerIds.length;
  peerIds.forEach((peerId, n) => {
    if (!isPeerId(peerId)) throw new ChatError('BAD_MESSAGE', 'relay envelope needs a peer id');
    for (let i = 0; i < PEER_ID_CHARS; i++) out[2 + n * PEER_ID_CHARS + i] = peerId.charCodeAt(i);
  });
  out.set(payload, headerBytes);
  return out;
}

export interface RelayRequest {
  /** Distinct receivers, in the order named. */
  peerIds: PeerId[];
  payload: Uint8Array;
}

/** Parses a client's envelope, unicast or multi-receiver. The payload is a view into `bytes`. */
export function decodeRelayRequest(bytes: Uint8Array): RelayRequest {
  if (bytes.byteLength < 1 || bytes[0] !== MULTICAST_MARK) {
    const { peerId, payload } = decodeRelayEnvelope(bytes);
    return { peerIds: [peerId], payload };
  }
  const count = bytes.byteLength >= 2 ? bytes[1] : 0;
  if (count < 1 || count > RELAY_RECIPIENTS_MAX) throw new ChatError('BAD_MESSAGE', `a relay envelope names 1 to ${RELAY_RECIPIENTS_MAX} receivers`);
  const headerBytes = 2 + count * PEER_ID_CHARS;
  if (bytes.byteLength < headerBytes) throw new ChatError('BAD_MESSAGE', 'truncated relay frame');
  const peerIds = new Set<PeerId>();
  for (let n = 0; n < count; n++) {
    let peerId = '';
    for (let i = 0; i < PEER_ID_CHARS; i++) peerId += String.fromCharCode(bytes[2 + n * PEER_ID_CHARS + i]);
    if (!isPeerId(peerId)) throw new ChatError('BAD_MESSAGE', 'relay frame has no valid peer id');
    peerIds.add(peerId);
  }
  const payload = bytes.subarray(headerBytes);
  if (payload.byteLength > RELAY_PAYLOAD_MAX_BYTES) throw new ChatError('TOO_LARGE', `relay payload over ${RELAY_PAYLOAD_MAX_BYTES} bytes`);
  if (payload.byteLength === 0) throw new ChatError('BAD_MESSAGE', 'relay frame has no payload');
  return { peerIds: [...peerIds], payload };
}
