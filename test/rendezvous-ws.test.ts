import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { closeCodeFor } from '../shared/errors';
import { PRESENCE_FLUSH_MS, PROTOCOL_VERSION } from '../shared/limits';
import { encodeMessage, type ErrorMessage, type PresenceMessage, type SignalFromMessage } from '../shared/protocol';
import { decodeRelayEnvelope, encodeRelayEnvelope, encodeRelayRequest } from '../shared/relayEnvelope';
import { startTestServer, type TestServer } from './helpers/server';
import { connectPeer, deviceFields, newPeerSecret, onlinePeers, openSocket, waitFor, type TestSocket } from './helpers/ws';

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
  a.send({ v: PROTOCOL_VERSION, type: 'signal', to: b.self.peerId, from: 'AAAAAAAAAAAAAAAAAAAAAA', data: { sdp: 'x', from: 'fake' } });
  const signal = await b.next<SignalFromMessage>((m) => m.type === 'signal');
  assert.is(signal.from, a.self.peerId);
  assert.equal(signal.data, { sdp: 'x', from: 'fake' });
  a.send({ v: PROTOCOL_VERSION, type: 'signal', to: 'BBBBBBBBBBBBBBBBBBBBBB', data: {} });
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

test('one relay request for several receivers reaches each, stamped with the sender; absent ones are reported', async (ctx) => {
  const [a, b, c] = await Promise.all(['alice', 'bob', 'carol'].map(async (n) => connectPeer(ctx.server.wsUrl, await ctx.server.registerAndLogin(n))));
  ctx.sockets.push(a, b, c);
  const payload = new Uint8Array(64 * 1024).map((_, i) => (i * 7) % 253);
  const gone = 'GGGGGGGGGGGGGGGGGGGGGG';
  a.ws.send(encodeRelayRequest([b.self.peerId, gone, c.self.peerId, a.self.peerId], payload));
  for (const receiver of [b, c]) {
    const frame = decodeRelayEnvelope(new Uint8Array(await receiver.nextBinary()));
    assert.is(frame.peerId, a.self.peerId);
    assert.equal(Buffer.from(frame.payload), Buffer.from(payload));
  }
  const errors = [await a.next<ErrorMessage>((m) => m.type === 'error' && m.peer === gone), await a.next<ErrorMessage>((m) => m.type === 'error' && m.peer === a.self.peerId)];
  assert.equal(errors.map((e) => e.code), ['UNKNOWN_PEER', 'UNKNOWN_PEER'], 'an absent peer and oneself are refused, the others served');
});

test('bad token is refused and closed', async (ctx) => {
  const s = await openSocket(ctx.server.wsUrl);
  ctx.sockets.push(s);
  s.ws.send(encodeMessage({ type: 'auth', token: 'x'.repeat(43), peerSecret: newPeerSecret(), ...deviceFields('x'.repeat(43)) }));
  const error = await s.next<ErrorMessage>((m) => m.type === 'error');
  assert.is(error.code, 'UNAUTHORIZED');
  assert.is((await s.waitClosed()).code, closeCodeFor('UNAUTHORIZED'));
});

test('a peer that stops answering pings disappears within 2 heartbeat intervals', async () => {
  const intervalMs = 300;
  const server = await startTestServer({ heartbeatIntervalMs: intervalMs });
  const sockets: TestSocket[] = [];
  try {
    const [ta, tb, tc] = await Promise.all(['alice', 'bob', 'dead'].map((n) => server.registerAndLogin(n)));
    const a = await connectPeer(server.wsUrl, ta);
    const b = await connectPeer(server.wsUrl, tb);
    sockets.push(a, b);
    // A client whose connection died without a close: it never answers pings again.
    const dead = await connectPeer(server.wsUrl, tc, newPeerSecret(), { autoPong: false });
    sockets.push(dead);
    await a.next((m) => m.type === 'presence' && m.joined.some((p) => p.peerId === dead.self.peerId));
    const started = Date.now();
    // The server cuts the connection (the dead client's side sees the close)...
    await dead.waitClosed(2 * intervalMs + 2_000);
    const took = Date.now() - started;
    // ...and everyone else hears it left with the next presence flush.
    await a.next((m) => m.type === 'presence' && m.left.includes(dead.self.peerId), PRESENCE_FLUSH_MS + 1_000);
    await b.next((m) => m.type === 'presence' && m.left.includes(dead.self.peerId));
    console.log(`    heartbeat: dead peer cut after ${took} ms (interval ${intervalMs} ms), left announced ${Date.now() - started} ms`);
    assert.ok(took <= 2 * intervalMs + 150, `took ${took} ms`);
    assert.is(a.ws.readyState, a.ws.OPEN, 'live peers answer pings and stay');
  } finally {
    await Promise.all(sockets.map((s) => s.close()));
    await server.stop();
  }
});

test('same peer secret: the new socket replaces the old one without left/joined', async (ctx) => {
  const watcher = await connectPeer(ctx.server.wsUrl, await ctx.server.registerAndLogin('watcher'));
  ctx.sockets.push(watcher);
  const token = await ctx.server.registerAndLogin('tab');
  const secret = newPeerSecret();
  const first = await connectPeer(ctx.server.wsUrl, token, secret);
  ctx.sockets.push(first);
  await watcher.next((m) => m.type === 'presence' && m.joined.some((p) => p.peerId === first.self.peerId));
  const second = await connectPeer(ctx.server.wsUrl, token, secret);
  ctx.sockets.push(second);
  assert.is(second.self.peerId, first.self.peerId);
  assert.equal(second.welcome.peers.map((p) => p.username), ['watcher']);
  assert.is((await first.waitClosed()).code, closeCodeFor('REPLACED'));
  // A marker presence change: everything before it was delivered, and none of it was about `tab`.
  const marker = await connectPeer(ctx.server.wsUrl, await ctx.server.registerAndLogin('marker'));
  ctx.sockets.push(marker);
  await watcher.next((m) => m.type === 'presence' && m.joined.some((p) => p.username === 'marker'));
  const aboutTab = watcher.messages.filter((m) => m.type === 'presence' && (m.left.includes(first.self.peerId) || m.joined.some((p) => p.username === 'tab')));
  assert.is(aboutTab.length, 1, 'only the original join');
  // Another secret from the same account is another peer (a second tab or device).
  const third = await connectPeer(ctx.server.wsUrl, token);
  ctx.sockets.push(third);
  assert.is.not(third.self.peerId, first.self.peerId);
});

test('after a server restart the same token and secret resume the same peer id', async (ctx) => {
  const token = await ctx.server.registerAndLogin('alice');
  const secret = newPeerSecret();
  const before = await connectPeer(ctx.server.wsUrl, token, secret);
  ctx.sockets.push(before);
  await ctx.server.restart();
  assert.is((await before.waitClosed()).code, closeCodeFor('SERVER_SHUTDOWN'));
  const after = await connectPeer(ctx.server.wsUrl, token, secret);
  ctx.sockets.push(after);
  assert.is(after.self.peerId, before.self.peerId);
});

test('logout revokes the token and closes its sockets', async (ctx) => {
  const token = await ctx.server.registerAndLogin('alice');
  const other = await ctx.server.login('alice');
  const a1 = await connectPeer(ctx.server.wsUrl, token);
  const a2 = await connectPeer(ctx.server.wsUrl, token);
  const kept = await connectPeer(ctx.server.wsUrl, other);
  ctx.sockets.push(a1, a2, kept);
  await waitFor(() => onlinePeers(kept).has(a1.self.peerId) && onlinePeers(kept).has(a2.self.peerId));
  const res = await fetch(`${ctx.server.httpUrl}/api/logout`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
  assert.is(res.status, 204);
  assert.is((await a1.waitClosed()).code, closeCodeFor('UNAUTHORIZED'));
  assert.is((await a2.waitClosed()).code, closeCodeFor('UNAUTHORIZED'));
  await waitFor(() => onlinePeers(kept).size === 0, 3_000, 'both sockets to leave');
  assert.is(kept.ws.readyState, kept.ws.OPEN);
});

test('a socket is closed when its session expires', async () => {
  const server = await startTestServer({ sessionTtlMs: 1_000 });
  try {
    const s = await connectPeer(server.wsUrl, await server.registerAndLogin('brief'));
    assert.is((await s.waitClosed()).code, closeCodeFor('UNAUTHORIZED'));
  } finally {
    await server.stop();
  }
});

test('a peer closed by the server leaves at once, even if it never answers the close', async (ctx) => {
  const a = await connectPeer(ctx.server.wsUrl, await ctx.server.registerAndLogin('alice'));
  const token = await ctx.server.registerAndLogin('stuck');
  const stuck = await connectPeer(ctx.server.wsUrl, token);
  ctx.sockets.push(a, stuck);
  await waitFor(() => onlinePeers(a).has(stuck.self.peerId));
  (stuck.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  await fetch(`${ctx.server.httpUrl}/api/logout`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } });
  await waitFor(() => !onlinePeers(a).has(stuck.self.peerId), 1_000, 'left without waiting for the close handshake');
});

test('Origin check on upgrade: same origin, listed and absent are allowed; others closed', async () => {
  const server = await startTestServer({ allowedOrigins: ['http://10.1.2.3:5173'] });
  const sockets: TestSocket[] = [];
  try {
    const token = await server.registerAndLogin('alice');
    sockets.push(await connectPeer(server.wsUrl, token, newPeerSecret(), { origin: server.httpUrl }));
    sockets.push(await connectPeer(server.wsUrl, token, newPeerSecret(), { origin: 'http://10.1.2.3:5173' }));
    const evil = await openSocket(server.wsUrl, { origin: 'http://evil.example' });
    sockets.push(evil);
    assert.is((await evil.next<ErrorMessage>((m) => m.type === 'error')).code, 'BAD_ORIGIN');
    assert.is((await evil.waitClosed()).code, closeCodeFor('BAD_ORIGIN'));
  } finally {
    await Promise.all(sockets.map((s) => s.close()));
    await server.stop();
  }
});

test('an unauthenticated socket is closed after the auth deadline', async () => {
  const server = await startTestServer({ authDeadlineMs: 150 });
  try {
    const s = await openSocket(server.wsUrl);
    assert.is((await s.waitClosed()).code, closeCodeFor('AUTH_TIMEOUT'));
    assert.equal(s.messages.map((m) => m.type), ['error'], 'nothing but the reason');
  } finally {
    await server.stop();
  }
});

test('relay off: RELAY_DISABLED naming the peer; the welcome announces it', async () => {
  const server = await startTestServer({ relay: 'off', maxImageBytes: 1000, iceServers: [{ urls: 'stun:stun.example' }] });
  const sockets: TestSocket[] = [];
  try {
    const a = await connectPeer(server.wsUrl, await server.registerAndLogin('alice'));
    const b = await connectPeer(server.wsUrl, await server.registerAndLogin('bob'));
    sockets.push(a, b);
    assert.equal(a.welcome.settings, { maxImageBytes: 1000, relay: 'off', iceServers: [{ urls: 'stun:stun.example' }] });
    a.ws.send(encodeRelayEnvelope(b.self.peerId, new Uint8Array([1, 2, 3])));
    const error = await a.next<ErrorMessage>((m) => m.type === 'error');
    assert.is(error.code, 'RELAY_DISABLED');
    assert.is(error.peer, b.self.peerId);
    assert.is(b.binary.length, 0);
  } finally {
    await Promise.all(sockets.map((s) => s.close()));
    await server.stop();
  }
});

test.run();
