import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ChatError } from '../shared/errors';
import { RELAY_SEALED_PAYLOAD_MAX_BYTES, RELAY_RECIPIENTS_MAX } from '../shared/limits';
import { decodeRelayEnvelope, decodeRelayRequest, encodeRelayEnvelope, encodeRelayRequest, restampInPlace } from '../shared/relayEnvelope';

const PEER = 'AbCdEfGhIjKlMnOpQrSt-_';

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    return (error as ChatError).code;
  }
  return 'none';
}

test('round trip, payload unchanged, no copy on decode', () => {
  const payload = new Uint8Array([0, 1, 2, 255]);
  const frame = encodeRelayEnvelope(PEER, payload);
  assert.is(frame.byteLength, 1 + 22 + 4);
  const decoded = decodeRelayEnvelope(frame);
  assert.is(decoded.peerId, PEER);
  assert.equal([...decoded.payload], [0, 1, 2, 255]);
  assert.is(decoded.payload.buffer, frame.buffer);
  assert.is(decodeRelayEnvelope(encodeRelayEnvelope(PEER, new Uint8Array(RELAY_SEALED_PAYLOAD_MAX_BYTES))).payload.byteLength, RELAY_SEALED_PAYLOAD_MAX_BYTES);
});

test('malformed envelopes are refused with codes', () => {
  assert.is(code(() => decodeRelayEnvelope(new Uint8Array())), 'BAD_MESSAGE');
  assert.is(code(() => decodeRelayEnvelope(new Uint8Array([22, 65, 65]))), 'BAD_MESSAGE');
  assert.is(code(() => decodeRelayEnvelope(new Uint8Array([3, 46, 46, 47, 1]))), 'BAD_MESSAGE');
  assert.is(code(() => decodeRelayEnvelope(encodeRelayEnvelope(PEER, new Uint8Array(1)).subarray(0, 23))), 'BAD_MESSAGE');
  const tooBig = new Uint8Array(1 + 22 + RELAY_SEALED_PAYLOAD_MAX_BYTES + 1);
  tooBig.set(encodeRelayEnvelope(PEER, new Uint8Array(1)).subarray(0, 23));
  assert.is(code(() => decodeRelayEnvelope(tooBig)), 'TOO_LARGE');
  assert.is(code(() => encodeRelayEnvelope('bad id', new Uint8Array(1))), 'BAD_MESSAGE');
  assert.is(code(() => encodeRelayEnvelope(PEER, new Uint8Array(RELAY_SEALED_PAYLOAD_MAX_BYTES + 1))), 'TOO_LARGE');
});

const peer = (n: number) => `peer${String(n).padStart(18, '0')}`;

test('a request names one receiver (the unicast form) or several, each once', () => {
  const payload = new Uint8Array([9, 8, 7]);
  const one = encodeRelayRequest([PEER], payload);
  assert.equal(one, encodeRelayEnvelope(PEER, payload), 'one receiver: the plain envelope');
  assert.equal(decodeRelayRequest(one).peerIds, [PEER]);
  const many = [peer(1), peer(2), peer(3)];
  const frame = encodeRelayRequest(many, payload);
  assert.is(frame.byteLength, 2 + 3 * 22 + 3);
  const decoded = decodeRelayRequest(frame);
  assert.equal(decoded.peerIds, many);
  assert.equal([...decoded.payload], [9, 8, 7]);
  assert.is(decoded.payload.buffer, frame.buffer, 'no copy');
  assert.equal(decodeRelayRequest(encodeRelayRequest([peer(1), peer(1), peer(2)], payload)).peerIds, [peer(1), peer(2)], 'duplicates named once');
  const all = Array.from({ length: RELAY_RECIPIENTS_MAX }, (_, i) => peer(i));
  assert.equal(decodeRelayRequest(encodeRelayRequest(all, payload)).peerIds, all);
});

test('malformed requests are refused with codes', () => {
  const payload = new Uint8Array(1);
  assert.is(code(() => encodeRelayRequest([], payload)), 'BAD_MESSAGE');
  assert.is(code(() => encodeRelayRequest(Array.from({ length: RELAY_RECIPIENTS_MAX + 1 }, (_, i) => peer(i)), payload)), 'BAD_MESSAGE');
  assert.is(code(() => encodeRelayRequest([peer(1), 'bad id'], payload)), 'BAD_MESSAGE');
  assert.is(code(() => decodeRelayRequest(new Uint8Array([0]))), 'BAD_MESSAGE', 'no count');
  assert.is(code(() => decodeRelayRequest(new Uint8Array([0, 0, 1]))), 'BAD_MESSAGE', 'count 0');
  assert.is(code(() => decodeRelayRequest(new Uint8Array([0, RELAY_RECIPIENTS_MAX + 1, 1]))), 'BAD_MESSAGE', 'count over the max');
  const two = encodeRelayRequest([peer(1), peer(2)], payload);
  assert.is(code(() => decodeRelayRequest(two.subarray(0, 2 + 22 + 5))), 'BAD_MESSAGE', 'truncated ids');
  assert.is(code(() => decodeRelayRequest(two.subarray(0, 2 + 44))), 'BAD_MESSAGE', 'no payload');
  const badId = Uint8Array.from(two);
  badId[2 + 22] = 0x2e; // '.'
  assert.is(code(() => decodeRelayRequest(badId)), 'BAD_MESSAGE', 'invalid id');
  const tooBig = new Uint8Array(2 + 44 + RELAY_SEALED_PAYLOAD_MAX_BYTES + 1);
  tooBig.set(two.subarray(0, 2 + 44));
  assert.is(code(() => decodeRelayRequest(tooBig)), 'TOO_LARGE');
});

test('the server restamps a request in place as the envelope receivers get, without copying the payload', () => {
  const payload = new Uint8Array(1000).map((_, i) => i % 7);
  const sender = peer(9);
  for (const receivers of [[peer(1)], [peer(1), peer(2), peer(3)]]) {
    const bytes = encodeRelayRequest(receivers, payload);
    const request = decodeRelayRequest(bytes);
    const stamped = restampInPlace(bytes, request.payload.byteOffset - bytes.byteOffset, sender);
    assert.is(stamped.buffer, bytes.buffer, 'the same memory');
    const envelope = decodeRelayEnvelope(stamped);
    assert.is(envelope.peerId, sender);
    assert.equal([...envelope.payload], [...payload]);
    assert.equal(stamped, encodeRelayEnvelope(sender, payload));
  }
});

test.run();
