// Unauthenticated WebSocket connections per client address: at most `unauthenticatedPerAddressMax`
// at once; one more upgrade gets HTTP 429 before any WebSocket exists. A slot comes back once,
// when its socket authenticates or closes (client close, auth deadline, bad token, failed handshake).

import { connect } from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import WebSocket from 'ws';
import { closeCodeFor } from '../shared/errors';
import { WS_CLOSE_TIMEOUT_MS } from '../shared/limits';
import { encodeMessage, type WelcomeMessage } from '../shared/protocol';
import type { ServerOptions } from '../rendezvous/server';
import { PendingPerAddress } from '../rendezvous/ws/pendingPerAddress';
import { startTestServer, statsWhen, type TestServer } from './helpers/server';
import { connectPeer, DEFAULT_TIMEOUT_MS, deviceFields, newPeerSecret, openSocket, upgradeStatus, type TestSocket } from './helpers/ws';

const CAP = 3;

const test = suite<{ server: TestServer; sockets: TestSocket[] }>('unauthenticated sockets per address', { server: undefined as never, sockets: [] });

async function start(ctx: { server: TestServer }, options: Partial<ServerOptions> = {}): Promise<TestServer> {
  ctx.server = await startTestServer({ unauthenticatedPerAddressMax: CAP, ...options });
  return ctx.server;
}

test.before.each((ctx) => {
  ctx.sockets = [];
});
test.after.each(async (ctx) => {
  await Promise.all(ctx.sockets.map((s) => s.close()));
  await ctx.server?.stop();
});

/** Opens a socket the test closes at the end. */
async function open(ctx: { sockets: TestSocket[] }, url: string, options: WebSocket.ClientOptions = {}): Promise<TestSocket> {
  const socket = await openSocket(url, options);
  ctx.sockets.push(socket);
  return socket;
}

async function openMany(ctx: { sockets: TestSocket[] }, url: string, count: number): Promise<TestSocket[]> {
  return Promise.all(Array.from({ length: count }, () => open(ctx, url)));
}

async function authenticate(socket: TestSocket, token: string): Promise<void> {
  socket.ws.send(encodeMessage({ type: 'auth', token, peerSecret: newPeerSecret(), ...deviceFields(token) }));
  await socket.next<WelcomeMessage>((m) => m.type === 'welcome');
}

/** Waits until the server holds `count` WebSocket connections (a closed one has given its slot back by then). */
async function serverHolds(server: TestServer, count: number): Promise<void> {
  const stats = await statsWhen(server, (s) => s.wsConnections === count, DEFAULT_TIMEOUT_MS);
  assert.is(stats.wsConnections, count, 'WebSocket connections the server holds');
}

test('the upgrade past the cap gets 429 and no WebSocket', async (ctx) => {
  const server = await start(ctx);
  await openMany(ctx, server.wsUrl, CAP);
  assert.is(await upgradeStatus(server.wsUrl), 429);
  assert.is(await upgradeStatus(server.wsUrl), 429, 'and again');
  await serverHolds(server, CAP);
  for (const s of ctx.sockets) assert.is(s.ws.readyState, WebSocket.OPEN, 'the sockets within the cap stay open');
});

test('past the server-wide cap an upgrade gets 503 whatever its address; a slot given back lets the next in', async (ctx) => {
  const server = await start(ctx, { unauthenticatedPerAddressMax: 100, unauthenticatedMax: CAP });
  const token = await server.registerAndLogin('alice');
  const [first] = await openMany(ctx, server.wsUrl, CAP);
  assert.is(await upgradeStatus(server.wsUrl), 503);
  await authenticate(first, token);
  await open(ctx, server.wsUrl);
  assert.is(await upgradeStatus(server.wsUrl), 503, 'the freed slot is taken again');
});

test('other nodes\' counts add up, until they are older than any unauthenticated socket lives or their node is gone', () => {
  let now = 0;
  const pending = new PendingPerAddress(CAP, 1_000, () => now);
  const reported: [string, number][] = [];
  pending.onChange = (address, count) => reported.push([address, count]);
  pending.setRemote('n2', [['10.0.0.7', CAP - 1]]);
  const release = pending.take('10.0.0.7');
  assert.ok(release);
  assert.is(pending.take('10.0.0.7'), undefined, 'one here and two on n2 make the cap');
  assert.ok(pending.take('10.0.0.8'), 'another address is not held back');
  now = 1_001;
  assert.ok(pending.take('10.0.0.7'), 'a count unchanged for longer than a socket lives is stale');
  pending.setRemote('n3', [['10.0.0.9', CAP]]);
  assert.is(pending.take('10.0.0.9'), undefined);
  pending.forgetNode('n3');
  assert.ok(pending.take('10.0.0.9'), 'a node gone holds nothing');
  release!();
  assert.equal(reported.slice(0, 2), [['10.0.0.7', 1], ['10.0.0.8', 1]]);
  assert.equal(reported.at(-1), ['10.0.0.7', 1], 'the count given back is reported');
});

test('a socket that authenticates gives its slot back, once', async (ctx) => {
  const server = await start(ctx);
  const token = await server.registerAndLogin('alice');
  const [first] = await openMany(ctx, server.wsUrl, CAP);
  await authenticate(first, token);
  await open(ctx, server.wsUrl);
  assert.is(await upgradeStatus(server.wsUrl), 429, 'the freed slot is taken again');
  // The authenticated socket closing must not give the slot back a second time.
  await first.close();
  await serverHolds(server, CAP);
  assert.is(await upgradeStatus(server.wsUrl), 429, 'still at the cap after the authenticated socket closed');
});

test('a socket the client closes gives its slot back', async (ctx) => {
  const server = await start(ctx);
  const [first] = await openMany(ctx, server.wsUrl, CAP);
  assert.is(await upgradeStatus(server.wsUrl), 429);
  await first.close();
  await serverHolds(server, CAP - 1);
  await open(ctx, server.wsUrl);
  assert.is(await upgradeStatus(server.wsUrl), 429);
});

test('sockets closed at the auth deadline give their slots back', async (ctx) => {
  const server = await start(ctx, { authDeadlineMs: 300 });
  const first = await openMany(ctx, server.wsUrl, CAP);
  assert.is(await upgradeStatus(server.wsUrl), 429);
  for (const s of first) assert.is((await s.waitClosed()).code, closeCodeFor('AUTH_TIMEOUT'));
  await serverHolds(server, 0);
  await openMany(ctx, server.wsUrl, CAP);
  assert.is(await upgradeStatus(server.wsUrl), 429);
});

test('a socket refused for a bad token gives its slot back', async (ctx) => {
  const server = await start(ctx);
  const [first] = await openMany(ctx, server.wsUrl, CAP);
  first.ws.send(encodeMessage({ type: 'auth', token: 'not-a-session-token-at-all-0123456789abcdef', peerSecret: newPeerSecret(), ...deviceFields('not-a-session-token-at-all-0123456789abcdef') }));
  assert.is((await first.waitClosed()).code, closeCodeFor('UNAUTHORIZED'));
  await serverHolds(server, CAP - 1);
  await open(ctx, server.wsUrl);
  assert.is(await upgradeStatus(server.wsUrl), 429);
});

test('a failed handshake gives its slot back', async (ctx) => {
  const server = await start(ctx);
  // Upgrades ws refuses (400: no valid Sec-WebSocket-Key), more of them than the cap.
  for (let i = 0; i < CAP * 2; i++) {
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(server.port, '127.0.0.1');
      let data = '';
      socket.on('data', (d) => (data += d));
      socket.on('error', reject);
      socket.on('close', () => resolve(data));
      socket.write(`GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: bad\r\n\r\n`);
    });
    assert.match(answer, /^HTTP\/1\.1 400 /);
  }
  await openMany(ctx, server.wsUrl, CAP);
  assert.is(await upgradeStatus(server.wsUrl), 429);
});

test('authenticated sockets never count', async (ctx) => {
  const server = await start(ctx);
  const tokens = [await server.registerAndLogin('alice'), await server.registerAndLogin('bob')];
  const peers = [];
  for (let i = 0; i < 10; i++) peers.push(await connectPeer(server.wsUrl, tokens[i % 2]));
  ctx.sockets.push(...peers);
  await openMany(ctx, server.wsUrl, CAP);
  assert.is(await upgradeStatus(server.wsUrl), 429);
  await serverHolds(server, 10 + CAP);
  for (const p of peers) assert.is(p.ws.readyState, WebSocket.OPEN, 'every authenticated peer stays connected');
});

test('a socket that ignores the close frame is cut after WS_CLOSE_TIMEOUT_MS and gives its slot back (issue 15, row 6)', async (ctx) => {
  const server = await start(ctx, { authDeadlineMs: 200 });
  const started = performance.now();
  // Raw upgrades that complete the handshake, then never send a byte: no auth, no answer to the close.
  const silent = Array.from({ length: CAP }, () =>
    new Promise<number>((resolve, reject) => {
      const socket = connect(server.port, '127.0.0.1');
      socket.on('error', reject);
      socket.on('data', () => {}); // reads (the 101, the close frame) but never answers
      socket.on('close', () => resolve(performance.now() - started));
      socket.write(`GET /ws HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n`);
    }),
  );
  const cutAfter = await Promise.race([Promise.all(silent), new Promise<null>((resolve) => setTimeout(() => resolve(null), 200 + WS_CLOSE_TIMEOUT_MS + 3_000))]);
  assert.ok(cutAfter, `sockets not cut within ${200 + WS_CLOSE_TIMEOUT_MS + 3_000} ms of the upgrade (ws alone waits 30 s)`);
  console.log(`    silent sockets cut after ${Math.round(Math.max(...cutAfter!))} ms (auth deadline 200 ms + close timeout ${WS_CLOSE_TIMEOUT_MS} ms)`);
  await serverHolds(server, 0);
  await openMany(ctx, server.wsUrl, CAP);
});

test('the cap is per address', async (ctx) => {
  const server = await start(ctx);
  await openMany(ctx, server.wsUrl, CAP);
  assert.is(await upgradeStatus(server.wsUrl), 429);
  // Another loopback address of the same machine is another client address.
  await open(ctx, server.wsUrl, { localAddress: '127.0.0.2' });
});

test.run();
