import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateDeviceKey } from '../shared/deviceKey';
import { ChatError, closeCodeFor, httpStatusFor, isFatalCloseCode } from '../shared/errors';
import { PROTOCOL_VERSION, SIGNAL_MAX_BYTES, WS_CONTROL_MESSAGE_MAX_BYTES, WS_SERVER_MESSAGE_MAX_BYTES } from '../shared/limits';
import { encodeMessage, isPeerId, parseClientMessage, parseServerMessage, type ServerMessage } from '../shared/protocol';

const PEER = 'AbCdEfGhIjKlMnOpQrStUv';
const SECRET = 'abcdefghijklmnopqrstuv';

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    assert.instance(error, ChatError);
    return (error as ChatError).code;
  }
  throw new Error('expected a ChatError');
}

const KEY = generateDeviceKey().publicKey;
const DEVICE = { deviceKey: KEY, proof: 'A'.repeat(86) };

test('client messages round-trip through encode and parse', () => {
  assert.equal(parseClientMessage(encodeMessage({ type: 'auth', token: 't'.repeat(43), peerSecret: SECRET, ...DEVICE })), { v: PROTOCOL_VERSION, type: 'auth', token: 't'.repeat(43), peerSecret: SECRET, ...DEVICE });
  assert.equal(parseClientMessage(encodeMessage({ type: 'signal', to: PEER, data: { sdp: 'v=0' } })), { v: PROTOCOL_VERSION, type: 'signal', to: PEER, data: { sdp: 'v=0' } });
});

test('a client-supplied sender never survives parsing', () => {
  const parsed = parseClientMessage(JSON.stringify({ v: PROTOCOL_VERSION, type: 'signal', to: PEER, from: 'ZZZZZZZZZZZZZZZZZZZZZZ', data: {} }));
  assert.not.ok('from' in parsed);
});

test('client message validation codes', () => {
  assert.is(code(() => parseClientMessage('{')), 'BAD_JSON');
  assert.is(code(() => parseClientMessage('null')), 'BAD_MESSAGE');
  assert.is(code(() => parseClientMessage('[]')), 'BAD_MESSAGE');
  assert.is(code(() => parseClientMessage('{"type":"auth"}')), 'UNSUPPORTED_VERSION');
  assert.is(code(() => parseClientMessage(`{"v":${PROTOCOL_VERSION + 1},"type":"auth"}`)), 'UNSUPPORTED_VERSION');
  assert.is(code(() => parseClientMessage(`{"v":${PROTOCOL_VERSION},"type":7}`)), 'BAD_MESSAGE');
  assert.is(code(() => parseClientMessage(`{"v":${PROTOCOL_VERSION},"type":"welcome"}`)), 'UNKNOWN_TYPE');
  assert.is(code(() => parseClientMessage(JSON.stringify({ v: PROTOCOL_VERSION, type: 'auth', token: 'x', peerSecret: 'short' }))), 'BAD_MESSAGE');
  assert.is(code(() => parseClientMessage(JSON.stringify({ v: PROTOCOL_VERSION, type: 'auth', token: 'x', peerSecret: 'not/base64url+chars!!!!' }))), 'BAD_MESSAGE');
  assert.is(code(() => parseClientMessage(JSON.stringify({ v: PROTOCOL_VERSION, type: 'auth', token: '', peerSecret: SECRET }))), 'BAD_MESSAGE');
  assert.is(code(() => parseClientMessage(JSON.stringify({ v: PROTOCOL_VERSION, type: 'signal', to: 'short', data: {} }))), 'BAD_MESSAGE');
  assert.is(code(() => parseClientMessage(JSON.stringify({ v: PROTOCOL_VERSION, type: 'signal', to: PEER, data: [] }))), 'BAD_MESSAGE');
  assert.is(code(() => parseClientMessage(JSON.stringify({ v: PROTOCOL_VERSION, type: 'signal', to: PEER }))), 'BAD_MESSAGE');
  assert.is(code(() => parseClientMessage('x'.repeat(SIGNAL_MAX_BYTES + 1))), 'TOO_LARGE');
});

test('server messages round-trip and are validated', () => {
  const messages: ServerMessage[] = [
    { v: PROTOCOL_VERSION, type: 'welcome', self: { peerId: PEER, username: '张伟', displayName: 'Zhang', deviceKey: KEY }, peers: [], settings: { maxImageBytes: 5, relay: 'auto', iceServers: [{ urls: 'stun:x' }] } },
    { v: PROTOCOL_VERSION, type: 'presence', joined: [{ peerId: PEER, username: 'a', displayName: 'A', deviceKey: KEY }], left: [PEER] },
    { v: PROTOCOL_VERSION, type: 'signal', from: PEER, data: { candidate: 'c' } },
    { v: PROTOCOL_VERSION, type: 'relay-flow', peer: PEER, paused: true },
    { v: PROTOCOL_VERSION, type: 'error', code: 'UNKNOWN_PEER', message: 'gone', peer: PEER },
  ];
  for (const message of messages) assert.equal(parseServerMessage(encodeMessage(message)), message);
  assert.is(code(() => parseServerMessage(JSON.stringify({ v: PROTOCOL_VERSION, type: 'error', code: 'NOPE', message: '' }))), 'BAD_MESSAGE');
  assert.is(code(() => parseServerMessage(JSON.stringify({ v: PROTOCOL_VERSION, type: 'relay-flow', peer: PEER, paused: 'yes' }))), 'BAD_MESSAGE');
  assert.is(code(() => parseServerMessage(JSON.stringify({ v: PROTOCOL_VERSION, type: 'presence', joined: [], left: ['../x'] }))), 'BAD_MESSAGE');
  assert.is(code(() => parseServerMessage(JSON.stringify({ v: PROTOCOL_VERSION, type: 'auth' }))), 'UNKNOWN_TYPE');
});

test('peer ids, HTTP statuses and close codes', () => {
  assert.ok(isPeerId(PEER));
  assert.not.ok(isPeerId(`${PEER}x`));
  assert.not.ok(isPeerId('../../../../../../../etc'));
  assert.is(httpStatusFor('USERNAME_TAKEN'), 409);
  assert.is(httpStatusFor('LOGIN_THROTTLED'), 429);
  assert.is(httpStatusFor('INVALID_USERNAME'), 400);
  assert.is(closeCodeFor('TOO_LARGE'), 1009);
  assert.is(closeCodeFor('REPLACED'), 4007);
  assert.ok(isFatalCloseCode(closeCodeFor('UNAUTHORIZED')));
  assert.not.ok(isFatalCloseCode(closeCodeFor('SERVER_SHUTDOWN')));
});

test('a welcome to a room of 10,000 parses (far over the 64 KiB of a control message); past its own bound it is refused', () => {
  const peer = (i: number) => ({ peerId: `p${String(i).padStart(21, '0')}`, username: `user${i}`, displayName: `User number ${i}`, deviceKey: KEY });
  const welcome = encodeMessage({ type: 'welcome', self: peer(0), peers: Array.from({ length: 10_000 }, (_, i) => peer(i + 1)), settings: { maxImageBytes: 5, relay: 'auto', iceServers: [] } } as never);
  assert.ok(welcome.length > WS_CONTROL_MESSAGE_MAX_BYTES);
  const parsed = parseServerMessage(welcome);
  assert.ok(parsed.type === 'welcome' && parsed.peers.length === 10_000);
  assert.is(code(() => parseServerMessage(' '.repeat(WS_SERVER_MESSAGE_MAX_BYTES + 1))), 'TOO_LARGE');
  assert.is(code(() => parseClientMessage(welcome)), 'TOO_LARGE', 'clients still send at most a control message');
});

test.run();
