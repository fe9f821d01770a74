import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ChatError } from '../shared/errors';
import { PEER_FRAME_MAX_BYTES } from '../shared/limits';
import { decodeRelayEnvelope, encodeRelayEnvelope } from '../shared/relayEnvelope';

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
  assert.is(decodeRelayEnvelope(encodeRelayEnvelope(PEER, new Uint8Array(PEER_FRAME_MAX_BYTES))).payload.byteLength, PEER_FRAME_MAX_BYTES);
});

test('malformed envelopes are refused with codes', () => {
  assert.is(code(() => decodeRelayEnvelope(new Uint8Array())), 'BAD_MESSAGE');
  assert.is(code(() => decodeRelayEnvelope(new Uint8Array([22, 65, 65]))), 'BAD_MESSAGE');
  assert.is(code(() => decodeRelayEnvelope(new Uint8Array([3, 46, 46, 47, 1]))), 'BAD_MESSAGE');
  assert.is(code(() => decodeRelayEnvelope(encodeRelayEnvelope(PEER, new Uint8Array(1)).subarray(0, 23))), 'BAD_MESSAGE');
  const tooBig = new Uint8Array(1 + 22 + PEER_FRAME_MAX_BYTES + 1);
  tooBig.set(encodeRelayEnvelope(PEER, new Uint8Array(1)).subarray(0, 23));
  assert.is(code(() => decodeRelayEnvelope(tooBig)), 'TOO_LARGE');
  assert.is(code(() => encodeRelayEnvelope('bad id', new Uint8Array(1))), 'BAD_MESSAGE');
  assert.is(code(() => encodeRelayEnvelope(PEER, new Uint8Array(PEER_FRAME_MAX_BYTES + 1))), 'TOO_LARGE');
});

test.run();
