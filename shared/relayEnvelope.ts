// Binary WebSocket frames carry relayed peer traffic: [1 byte id length][peer id, ASCII][payload].
// From a client the id names the receiver; the server rewrites it to the sender before forwarding,
// so a client can never choose the sender another peer sees.
// A client may also name several receivers of one payload (an image chunk relayed to everyone),
// so it crosses the sender's link once: [0][count][count x peer id of PEER_ID_CHARS][payload].

import { ChatError } from './errors';
import { PEER_ID_CHARS, RELAY_SEALED_PAYLOAD_MAX_BYTES, RELAY_RECIPIENTS_MAX } from './limits';
import { isPeerId, type PeerId } from './protocol';
import { uninitializedBytes } from './uninitializedBytes';

export interface RelayEnvelope {
  peerId: PeerId;
  payload: Uint8Array;
}

/** Bytes of a unicast envelope's header: the id length and the id. */
const UNICAST_HEADER_BYTES = 1 + PEER_ID_CHARS;

function writePeerId(out: Uint8Array, at: number, peerId: PeerId): void {
  if (!isPeerId(peerId)) throw new ChatError('BAD_MESSAGE', 'relay envelope needs a peer id');
  for (let i = 0; i < PEER_ID_CHARS; i++) out[at + i] = peerId.charCodeAt(i);
}

export function encodeRelayEnvelope(peerId: PeerId, payload: Uint8Array): Uint8Array {
  return encodeRelayRequest([peerId], payload);
}

/**
 * Server side, without a copy: turns a request whose payload starts at `payloadOffset` into the
 * envelope receivers get, [id length][sender][payload], by writing the sender's header over the
 * end of the request's header (always long enough: a unicast header or longer). Returns that view.
 * Only for bytes the caller owns and has finished reading.
 */
export function restampInPlace(bytes: Uint8Array, payloadOffset: number, sender: PeerId): Uint8Array {
  const start = payloadOffset - UNICAST_HEADER_BYTES;
  if (start < 0) throw new ChatError('INTERNAL', 'relay request header shorter than an envelope header');
  bytes[start] = PEER_ID_CHARS;
  writePeerId(bytes, start + 1, sender);
  return bytes.subarray(start);
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
  if (payload.byteLength > RELAY_SEALED_PAYLOAD_MAX_BYTES) throw new ChatError('TOO_LARGE', `relay payload over ${RELAY_SEALED_PAYLOAD_MAX_BYTES} bytes`);
  if (payload.byteLength === 0) throw new ChatError('BAD_MESSAGE', 'relay frame has no payload');
  return { peerId, payload };
}

/** Marks a multi-receiver envelope where a unicast one has its id length. */
const MULTICAST_MARK = 0;

/** A client's envelope for several receivers of one payload (one receiver: the unicast form). */
export function encodeRelayRequest(peerIds: readonly PeerId[], payload: Uint8Array): Uint8Array {
  return buildRelayRequest(peerIds, payload.byteLength, (out) => out.set(payload));
}

/**
 * Allocates a request for `peerIds` with room for `payloadBytes` and lets `writePayload` fill the
 * payload in place, so a payload assembled from parts (a bundle) is copied once, not twice.
 * `writePayload` must write every byte of it: the memory is not zero-filled (uninitializedBytes).
 */
export function buildRelayRequest(peerIds: readonly PeerId[], payloadBytes: number, writePayload: (payload: Uint8Array) => void): Uint8Array {
  if (peerIds.length < 1 || peerIds.length > RELAY_RECIPIENTS_MAX) throw new ChatError('BAD_MESSAGE', `a relay envelope names 1 to ${RELAY_RECIPIENTS_MAX} receivers`);
  if (payloadBytes > RELAY_SEALED_PAYLOAD_MAX_BYTES) throw new ChatError('TOO_LARGE', `relay payload over ${RELAY_SEALED_PAYLOAD_MAX_BYTES} bytes`);
  const unicast = peerIds.length === 1;
  const headerBytes = unicast ? UNICAST_HEADER_BYTES : 2 + peerIds.length * PEER_ID_CHARS;
  const out = uninitializedBytes(headerBytes + payloadBytes);
  if (unicast) {
    out[0] = PEER_ID_CHARS;
    writePeerId(out, 1, peerIds[0]);
  } else {
    out[0] = MULTICAST_MARK;
    out[1] = peerIds.length;
    peerIds.forEach((peerId, n) => writePeerId(out, 2 + n * PEER_ID_CHARS, peerId));
  }
  writePayload(out.subarray(headerBytes));
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
  if (payload.byteLength > RELAY_SEALED_PAYLOAD_MAX_BYTES) throw new ChatError('TOO_LARGE', `relay payload over ${RELAY_SEALED_PAYLOAD_MAX_BYTES} bytes`);
  if (payload.byteLength === 0) throw new ChatError('BAD_MESSAGE', 'relay frame has no payload');
  return { peerIds: [...peerIds], payload };
}
