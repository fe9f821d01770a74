// Fault: SIGTERM to the real server process. It stops accepting, tells clients it is going away
// (close 1001 SERVER_SHUTDOWN), writes its stores out, exits 0 within a few seconds; restarted on
// the same port, real mesh clients reconnect by themselves and chat.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { closeCodeFor } from '../shared/errors';
import { allLinks, linkOf, startPeers, stopAll, textsFrom, until, type TestPeer } from './helpers/mesh';
import { DEFAULT_PASSWORD, postJson, spawnServerProcess, type ServerProcess } from './helpers/server';
import { connectPeer, type OnlineSocket } from './helpers/ws';

/** "Within a few seconds": the hub's close grace (1 s) plus start-up noise on a loaded machine. */
const EXIT_LIMIT_MS = 5_000;

interface Ctx {
  dir: string;
  servers: ServerProcess[];
  peers: TestPeer[];
  sockets: OnlineSocket[];
}
const test = suite<Ctx>('fault: SIGTERM', { dir: '', servers: [], peers: [], sockets: [] });

test.before.each(async (ctx) => {
  ctx.dir = await mkdtemp(path.join(tmpdir(), 'chatroom-fault-sigterm-'));
  Object.assign(ctx, { servers: [], peers: [], sockets: [] });
});
test.after.each(async (ctx) => {
  stopAll(ctx.peers);
  await Promise.all(ctx.sockets.map((s) => s.close()));
  await Promise.all(ctx.servers.map((s) => s.kill9()));
  await rm(ctx.dir, { recursive: true, force: true });
});

/** The register/login surface startPeers needs, against a server process. */
function accountsOf(server: ServerProcess) {
  const wsUrl = `ws://127.0.0.1:${server.port}/ws`;
  const login = async (username: string) => ((await (await postJson(`${server.httpUrl}/api/login`, { username, password: DEFAULT_PASSWORD })).json()) as { token: string }).token;
  return {
    wsUrl,
    login,
    async registerAndLogin(username: string) {
      const res = await postJson(`${server.httpUrl}/api/register`, { username, password: DEFAULT_PASSWORD, displayName: username });
      assert.is(res.status, 201, `register ${username}`);
      return login(username);
    },
  };
}

/** Resolves with the connect error code (ECONNREFUSED when nothing listens). */
function tryConnect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve('connected');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
  });
}

test('SIGTERM: refuses new connections, closes clients with SERVER_SHUTDOWN, flushes, exits 0; clients come back by themselves', async (ctx) => {
  const dbPath = path.join(ctx.dir, 'users.db');
  const first = await spawnServerProcess(['--host', '127.0.0.1', '--port', '0', '--db', dbPath]);
  ctx.servers.push(first);
  const accounts = accountsOf(first);
  ctx.peers = await startPeers(accounts, ['ann', 'ben']);
  const [ann, ben] = ctx.peers;
  await allLinks(ctx.peers, 'direct');
  const observer = await connectPeer(accounts.wsUrl, await accounts.registerAndLogin('observer'));
  // A client that stops reading never completes the close handshake: the process then lives on
  // for the hub's grace period, long enough to see that it no longer accepts.
  const stubborn = await connectPeer(accounts.wsUrl, await accounts.login('observer'));
  ctx.sockets.push(observer, stubborn);
  (stubborn.ws as unknown as { _socket: net.Socket })._socket.pause();
  // A logged-out session leaves a deletion line in the sessions file; a flush compacts it away.
  const res = await postJson(`${first.httpUrl}/api/logout`, {}, { Authorization: `Bearer ${await accounts.login('observer')}` });
  assert.is(res.status, 204);
  assert.match(await readFile(`${dbPath}.sessions`, 'utf8'), /\$\$deleted/);

  const sentAt = Date.now();
  first.child.kill('SIGTERM');
  const closed = await observer.waitClosed(EXIT_LIMIT_MS);
  assert.equal(closed, { code: closeCodeFor('SERVER_SHUTDOWN'), reason: 'SERVER_SHUTDOWN' });
  assert.is(await tryConnect(first.port), 'ECONNREFUSED', 'new connections are refused');
  assert.is(first.child.exitCode, null, '...while the process is still shutting down');
  const exit = await first.exited;
  const exitMs = Date.now() - sentAt;
  assert.is(exit.code, 0, exit.stderr);
  assert.ok(exitMs < EXIT_LIMIT_MS, `exited after ${exitMs} ms`);
  assert.match(exit.stdout, /SIGTERM, stopping/);
  await until(ctx.peers, () => ctx.peers.every((p) => p.mesh.status === 'reconnecting'), 10_000, 'mesh clients noticing');
  const sessions = await readFile(`${dbPath}.sessions`, 'utf8');
  assert.not.match(sessions, /\$\$deleted/, 'the sessions file was written out compacted');
  assert.ok(sessions.endsWith('\n'));

  const restartedAt = Date.now();
  const second = await spawnServerProcess(['--host', '127.0.0.1', '--port', String(first.port), '--db', dbPath]);
  ctx.servers.push(second);
  await until(ctx.peers, () => ctx.peers.every((p) => p.mesh.status === 'online'), 15_000, 'mesh clients back online');
  const backMs = Date.now() - restartedAt;
  // A newcomer needs the restarted server's signaling to link with both.
  const [cat] = await startPeers(accountsOf(second), ['cat']);
  ctx.peers.push(cat);
  // The two raw observer sockets were in the room at shutdown: saved, and presumed online for the
  // grace (listed, not reachable) since they do not come back. The mesh peers link among themselves.
  await until(ctx.peers, () => ctx.peers.every((a) => ctx.peers.every((b) => a === b || linkOf(a, b) === 'direct')), 30_000, 'links among the mesh peers direct');
  assert.ok(cat.mesh.peers().some((p) => p.username === 'observer'), 'the observers are listed while presumed back');
  for (const p of ctx.peers) p.mesh.sendText(`hello from ${p.name}`);
  await until(ctx.peers, () => ctx.peers.every((a) => ctx.peers.every((b) => a === b || textsFrom(a, b).length === 1)), 15_000, 'every text delivered');
  assert.equal(textsFrom(cat, ann), ['hello from ann']);
  assert.equal(textsFrom(ann, ben), ['hello from ben']);
  console.log(`    SIGTERM: clients closed 1001 SERVER_SHUTDOWN, exit 0 after ${exitMs} ms; mesh clients online ${backMs} ms after the restart began, chat with a newcomer works`);
});

test.run();
