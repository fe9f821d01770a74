import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { closeCodeFor } from '../shared/errors';
import { encodeMessage, type ErrorMessage, type PresenceMessage, type SignalFromMessage } from '../shared/protocol';
import { decodeRelayEnvelope, encodeRelayEnvelope } from '../shared/relayEnvelope';
import { startTestServer, type TestServer } from './helpers/server';
import { connectPeer, newPeerSecret, openSocket, type TestSocket } from './helpers/ws';

const test = suite<{ server: TestServer; sockets: TestSocket[] }>('rendezvous ws', { server: undefined as never, sockets: [] });

test.before.each(async (ctx) => {
  ctx.server = await startTestServer();
  ctx.sockets = [];
});
test.after.each(async (ctx) => {
  await Promise.all(ctx.sockets.map((s) => s.close()));
  await ctx.server.stop();
});

test('auth, welcome, presence join and leave with 3 sockets', async (ctx) => {
  const [ta, tb, tc] = await Promise.all(['alice', 'bob', 'carol'].map((n) => ctx.server.registerAndLogin(n)));
  const a = await connectPeer(ctx.server.wsUrl, ta);
  ctx.sockets.push(a);
  assert.is(a.self.username, 'alice');
  assert.equal(a.welcome.peers, []);
  assert.is(a.welcome.settings.relay, 'auto');
  const b = await connectPeer(ctx.server.wsUrl, tb);
  ctx.sockets.push(b);
  const joinedB = await a.next<PresenceMessage>((m) => m.type === 'presence');
  assert.equal(joinedB.joined.map((p) => p.username), ['bob']);
  const c = await connectPeer(ctx.server.wsUrl, tc);
  ctx.sockets.push(c);
  assert.equal(c.welcome.peers.map((p) => p.username).sort(), ['alice', 'bob']);
  await a.next((m) => m.type === 'presence' && m.joined.some((p) => p.username === 'carol'));
  await b.next((m) => m.type === 'presence' && m.joined.some((p) => p.username === 'carol'));
  await b.close();
  const leftA = await a.next<PresenceMessage>((m) => m.type === 'presence' && m.left.length > 0);
  assert.equal(leftA.left, [b.self.peerId]);
  await c.next((m) => m.type === 'presence' && m.left.includes(b.self.peerId));
});

test('signal is stamped with the server-known sender', async (ctx) => {
  const a = await connectPeer(ctx.server.wsUrl, await ctx.server.registerAndLogin('alice'));
  const b = await connectPeer(ctx.server.wsUrl, await ctx.server.registerAndLogin('bob'));
  ctx.sockets.push(a, b);
  a.send({ v: 1, type: 'signal', to: b.self.peerId, from: 'AAAAAAAAAAAAAAAAAAAAAA', data: { sdp: 'x', from: 'fake' } });
  const signal = await b.next<SignalFromMessage>((m) => m.type === 'signal');
  assert.is(signal.from, a.self.peerId);
  assert.equal(signal.data, { sdp: 'x', from: 'fake' });
  a.send({ v: 1, type: 'signal', to: 'BBBBBBBBBBBBBBBBBBBBBB', data: {} });
  const error = await a.next<ErrorMessage>((m) => m.type === 'error');
  assert.is(error.code, 'UNKNOWN_PEER');
  assert.is(error.peer, 'BBBBBBBBBBBBBBBBBBBBBB');
});

test('relay forwards the payload unchanged with the sender stamped', async (ctx) => {
  const a = await connectPeer(ctx.server.wsUrl, await ctx.server.registerAndLogin('alice'));
  const b = await connectPeer(ctx.server.wsUrl, await ctx.server.registerAndLogin('bob'));
  ctx.sockets.push(a, b);
  const payload = new Uint8Array(64 * 1024).map((_, i) => i % 251);
  a.ws.send(encodeRelayEnvelope(b.self.peerId, payload));
  const frame = decodeRelayEnvelope(new Uint8Array(await b.nextBinary()));
  assert.is(frame.peerId, a.self.peerId);
  assert.equal(Buffer.from(frame.payload), Buffer.from(payload));
});

test('bad token is refused and closed', async (ctx) => {
  const s = await openSocket(ctx.server.wsUrl);
  ctx.sockets.push(s);
  s.ws.send(encodeMessage({ type: 'auth', token: 'x'.repeat(43), peerSecret: newPeerSecret() }));
  const error = await s.next<ErrorMessage>((m) => m.type === 'error');
  assert.is(error.code, 'UNAUTHORIZED');
  assert.is((await s.closed).code, closeCodeFor('UNAUTHORIZED'));
});

test.run();
