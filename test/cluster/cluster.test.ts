// Cluster mode over a real Redis and PostgreSQL: three nodes in this process share accounts,
// presence, signaling and the relay; counters are shared; the pub/sub connection killed and Redis
// restarted are recovered from; PostgreSQL stopped gives 503s and the room goes on.

import { randomBytes } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { NODE_DEPARTURE_BOUND_MS } from '../../shared/limits';
import { decodeRelayEnvelope, encodeRelayRequest } from '../../shared/relayEnvelope';
import { encodeMessage, type SignalFromMessage } from '../../shared/protocol';
import { redisCommand, startEngines, startNode, type Engines } from '../helpers/cluster';
import { freePort } from '../helpers/engines';
import { DEFAULT_PASSWORD, postJson, runMain, type TestServer } from '../helpers/server';
import { connectPeer, onlinePeers, waitFor, type OnlineSocket } from '../helpers/ws';

/** Long enough for a resync after Redis came back (reconnect backoff is at most 1 s, a heartbeat 1 s). */
const RECOVERY_MS = 8_000;
/** Failed logins per account and address, lowered for the test. */
const LOGIN_PAIR_LIMIT = 4;

interface Ctx {
  engines: Engines;
  nodes: TestServer[];
  sockets: OnlineSocket[];
}

const test = suite<Ctx>('cluster: three nodes on Redis and PostgreSQL');

test.before(async (ctx) => {
  ctx.engines = await startEngines();
  ctx.nodes = [];
  for (const name of ['n1', 'n2', 'n3']) ctx.nodes.push(await startNode(ctx.engines, name, { loginLimits: { failuresPerAccountAddress: LOGIN_PAIR_LIMIT } }));
  ctx.sockets = [];
});

test.after(async (ctx) => {
  await Promise.all(ctx.sockets.map((s) => s.close()));
  for (const node of ctx.nodes ?? []) await node.stop().catch(() => {});
  await ctx.engines?.stop();
});

/** Registers on one node, logs in on another (one account store), connects to a third. */
async function join(ctx: Ctx, name: string, node: number): Promise<OnlineSocket> {
  await ctx.nodes[(node + 1) % 3].register(name);
  const token = await ctx.nodes[(node + 2) % 3].login(name);
  const socket = await connectPeer(ctx.nodes[node].wsUrl, token);
  ctx.sockets.push(socket);
  return socket;
}

const sees = (socket: OnlineSocket, peerId: string) => onlinePeers(socket).has(peerId);

async function readyz(node: TestServer): Promise<{ status: number; body: { ready: boolean; checks: Record<string, string> } }> {
  const res = await fetch(`${node.httpUrl}/readyz`);
  return { status: res.status, body: (await res.json()) as { ready: boolean; checks: Record<string, string> } };
}

/** Polls /readyz until it answers 200 (a node reconnecting to Redis), failing after `timeoutMs`. */
async function readyWithin(node: TestServer, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await readyz(node)).status !== 200) {
    if (Date.now() > deadline) throw new Error(`not ready after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('a node that cannot reach Redis at start says so in one line and exits 1', async (ctx) => {
  const deadRedis = `redis://127.0.0.1:${await freePort()}`;
  const result = await runMain(['--host', '127.0.0.1', '--port', '0', '--redis-url', deadRedis, '--postgres-url', ctx.engines.postgres.url], 20_000);
  assert.is(result.code, 1, result.stderr);
  assert.match(result.stderr, new RegExp(`^chatroom: cannot start: cannot reach Redis at ${deadRedis.replace(/[.]/g, '\\.')} `, 'm'));
  assert.is(result.stderr.split('\n').filter((line) => line.includes('ECONNREFUSED')).length <= 3, true, 'no line per reconnect attempt');
});

test('users on three nodes see each other, and the welcome names every node', async (ctx) => {
  const [alice, bob, carol] = [await join(ctx, 'alice', 0), await join(ctx, 'bob', 1), await join(ctx, 'carol', 2)];
  for (const [a, b] of [[alice, bob], [alice, carol], [bob, carol], [bob, alice], [carol, alice], [carol, bob]] as const) {
    await waitFor(() => sees(a, b.self.peerId), 3_000, `${a.self.username} sees ${b.self.username}`);
  }
  assert.equal(new Set(carol.welcome.nodes), new Set(ctx.nodes.map((n) => n.httpUrl)));
});

test('a signal and a relayed frame cross nodes, stamped with the sender', async (ctx) => {
  const [alice, bob, carol] = ctx.sockets;
  alice.ws.send(encodeMessage({ type: 'signal', to: carol.self.peerId, data: { sdp: 'offer' } }));
  const signal = await carol.next<SignalFromMessage>((m) => m.type === 'signal');
  assert.is(signal.from, alice.self.peerId);
  assert.equal(signal.data, { sdp: 'offer' });
  const payload = randomBytes(200_000);
  alice.ws.send(encodeRelayRequest([bob.self.peerId, carol.self.peerId], payload));
  for (const receiver of [bob, carol]) {
    const envelope = decodeRelayEnvelope(new Uint8Array(await receiver.nextBinary()));
    assert.is(envelope.peerId, alice.self.peerId);
    assert.ok(Buffer.from(envelope.payload).equals(payload), 'the bytes as sent');
  }
});

test('a leave on one node reaches the others; a logout closes the session on every node', async (ctx) => {
  const dave = await join(ctx, 'dave', 2);
  const [alice] = ctx.sockets;
  await waitFor(() => sees(alice, dave.self.peerId), 3_000, 'alice sees dave');
  await dave.close();
  await waitFor(() => !sees(alice, dave.self.peerId), 3_000, 'alice sees dave leave');
  const token = await ctx.nodes[0].login('dave');
  const again = await connectPeer(ctx.nodes[2].wsUrl, token);
  ctx.sockets.push(again);
  const res = await postJson(`${ctx.nodes[1].httpUrl}/api/logout`, {}, { Authorization: `Bearer ${token}` });
  assert.is(res.status, 204);
  assert.is((await again.waitClosed(3_000)).code, 4002, 'closed by the node that holds it');
});

test('failed logins are counted across nodes (Redis counters)', async (ctx) => {
  const statuses: number[] = [];
  // One more failure than the limit, spread over the nodes: only the last is throttled.
  for (let i = 0; i <= LOGIN_PAIR_LIMIT; i++) statuses.push((await postJson(`${ctx.nodes[i % 3].httpUrl}/api/login`, { username: 'alice', password: 'wrong password!' })).status);
  assert.equal(statuses, [...Array(LOGIN_PAIR_LIMIT).fill(401), 429]);
});

test('a registration race of 50 for one name over three nodes: exactly one wins', async (ctx) => {
  const responses = await Promise.all(
    Array.from({ length: 50 }, (_, i) => postJson(`${ctx.nodes[i % 3].httpUrl}/api/register`, { username: i % 2 ? 'Racer' : 'racer', password: DEFAULT_PASSWORD, displayName: 'r' })),
  );
  const statuses = responses.map((r) => r.status);
  await Promise.all(responses.map((r) => r.body?.cancel()));
  assert.is(statuses.filter((s) => s === 201).length, 1, statuses.join(' '));
  assert.ok(statuses.every((s) => s === 201 || s === 409 || s === 429), statuses.join(' '));
});

test('the pub/sub connections killed (CLIENT KILL TYPE pubsub): presence and relay recover', async (ctx) => {
  const [alice, bob] = ctx.sockets;
  await redisCommand(ctx.engines, ['CLIENT', 'KILL', 'TYPE', 'pubsub']);
  const erin = await join(ctx, 'erin', 1);
  await waitFor(() => sees(alice, erin.self.peerId), RECOVERY_MS, 'alice (node 1) sees erin (node 2) join after the kill');
  alice.ws.send(encodeRelayRequest([bob.self.peerId], Buffer.from('after the kill')));
  const envelope = decodeRelayEnvelope(new Uint8Array(await bob.nextBinary(RECOVERY_MS)));
  assert.is(Buffer.from(envelope.payload).toString(), 'after the kill');
});

test('Redis restarted (empty): nodes keep their own users, rebuild presence, relay again', async (ctx) => {
  const [alice, bob, carol] = ctx.sockets;
  await ctx.engines.redis.kill();
  const notReady = await readyz(ctx.nodes[0]);
  assert.is(notReady.status, 503, '/readyz tells a load balancer');
  assert.match(notReady.body.checks.redis, /^down/);
  // Each node keeps serving its own users: a user can still join its node.
  const frank = await join(ctx, 'frank', 0);
  await waitFor(() => !sees(alice, bob.self.peerId), NODE_DEPARTURE_BOUND_MS + 1_000, 'users of other nodes disappear while Redis is down');
  await ctx.engines.redis.start();
  for (const [a, b] of [[alice, bob], [bob, frank], [carol, frank], [carol, alice]] as const) {
    await waitFor(() => sees(a, b.self.peerId), RECOVERY_MS, `${a.self.username} sees ${b.self.username} again`);
  }
  await readyWithin(ctx.nodes[0], RECOVERY_MS);
  carol.ws.send(encodeRelayRequest([frank.self.peerId], Buffer.from('after the restart')));
  const envelope = decodeRelayEnvelope(new Uint8Array(await frank.nextBinary(RECOVERY_MS)));
  assert.is(Buffer.from(envelope.payload).toString(), 'after the restart');
});

test('PostgreSQL stopped: logins and registrations get 503 with a clear message, the room goes on, then recovers', async (ctx) => {
  const [alice, bob] = ctx.sockets;
  await ctx.engines.postgres.stop();
  const down = await readyz(ctx.nodes[2]);
  assert.is(down.status, 503);
  assert.match(down.body.checks.postgres, /^down/);
  const login = await postJson(`${ctx.nodes[0].httpUrl}/api/login`, { username: 'alice', password: DEFAULT_PASSWORD });
  assert.is(login.status, 503);
  const body = (await login.json()) as { error: { code: string; message: string } };
  assert.is(body.error.code, 'STORE_UNAVAILABLE');
  assert.match(body.error.message, /account database/);
  assert.is((await postJson(`${ctx.nodes[1].httpUrl}/api/register`, { username: 'newbie', password: DEFAULT_PASSWORD, displayName: 'n' })).status, 503);
  alice.ws.send(encodeRelayRequest([bob.self.peerId], Buffer.from('while postgres is down')));
  assert.is(Buffer.from(decodeRelayEnvelope(new Uint8Array(await bob.nextBinary())).payload).toString(), 'while postgres is down');
  await ctx.engines.postgres.start();
  const back = await postJson(`${ctx.nodes[0].httpUrl}/api/login`, { username: 'bob', password: DEFAULT_PASSWORD });
  assert.is(back.status, 200);
  assert.is((await readyz(ctx.nodes[2])).status, 200);
});

test.run();
