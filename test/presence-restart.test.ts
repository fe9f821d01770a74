// Presence that survives a restart (issue 12, protocol 7): a single node saves its room, restores it
// as members presumed online, and a client that names the room it holds is welcomed with the
// buckets that changed only. Real servers on 127.0.0.1 (in this process, and killed with -9 in a
// child process), real SignalingClients over real WebSockets.

import { readFile } from 'node:fs/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { snapshotPath } from '../rendezvous/ws/presenceSnapshot';
import { PROTOCOL_VERSION } from '../shared/limits';
import type { PeerId } from '../shared/protocol';
import { RoomClient } from './helpers/roomClient';
import { DEFAULT_PASSWORD, postJson, spawnServerProcess, startTestServer, type ServerProcess, type TestServer } from './helpers/server';
import { waitFor } from './helpers/ws';

const ids = (clients: RoomClient[], but: RoomClient) => clients.filter((c) => c !== but).map((c) => c.peerId);

async function room(server: TestServer | { wsUrl: string }, tokens: string[], names: string[]): Promise<RoomClient[]> {
  const clients = names.map((name, i) => new RoomClient(name, server.wsUrl, tokens[i]).start());
  await Promise.all(clients.map((c) => c.welcomed(1)));
  await Promise.all(clients.map((c) => c.holds(ids(clients, c))));
  return clients;
}

/** A server with `graceMs` of presumed presence and a room of `names`, all holding each other; stopped after `body`. */
async function withRoom(graceMs: number, names: string[], body: (server: TestServer, clients: RoomClient[], tokens: string[]) => Promise<void>): Promise<void> {
  const server = await startTestServer({ presumedGraceMs: graceMs });
  const clients: RoomClient[] = [];
  try {
    const tokens = await Promise.all(names.map((n) => server.registerAndLogin(n)));
    clients.push(...(await room(server, tokens, names)));
    await body(server, clients, tokens);
  } finally {
    for (const c of clients) c.client.stop();
    await server.stop();
  }
}

/** Restarts `server`; `away` stop reconnecting while it is down (they never return unless started again). */
async function restartWithout(server: TestServer, clients: RoomClient[], away: RoomClient[]): Promise<void> {
  const restarted = server.restart();
  await waitFor(() => away.every((c) => c.status === 'reconnecting'), 10_000, 'the away clients noticing');
  for (const c of away) c.client.stop();
  await restarted;
  await Promise.all(clients.filter((c) => !away.includes(c)).map((c) => c.welcomed(2)));
}

test('restart: members are back with an empty partial welcome, no join or leave is broadcast, one never back leaves after the grace', async () => {
  await withRoom(1_000, ['ann', 'ben', 'cat', 'dan'], async (server, clients) => {
  const [ann, ben, cat, dan] = clients;
  const before = clients.map((c) => c.presences.length);
  await restartWithout(server, clients, [dan]);
  for (const c of [ann, ben, cat]) {
    const { wire, handed, resumed } = c.welcomes[1];
    assert.ok(resumed);
    // Named the room it held; nothing changed: no peer sent, the whole room handed to the mesh.
    assert.equal(wire.partial?.changed, [], `${c.name}: changed buckets`);
    assert.is(wire.peers.length, 0);
    assert.equal(new Set(handed.peers.map((p) => p.peerId)), new Set(ids(clients, c)));
  }
  // dan never comes back: after the grace, one leave of dan, and nothing else since the restart.
  for (const c of [ann, ben, cat]) await c.holds(ids([ann, ben, cat], c), 5_000);
  clients.forEach((c, i) => {
    if (c === dan) return;
    assert.equal(c.presences.slice(before[i]), [{ v: PROTOCOL_VERSION, type: 'presence', joined: [], left: [dan.peerId] }], `${c.name}: presence since the restart`);
  });
  });
});

test('restart with no grace ([heartbeat] restart_grace_ms = 0): nobody is presumed, the room is rebuilt by those who come back', async () => {
  await withRoom(0, ['eve', 'fay', 'gus'], async (server, clients) => {
    const [eve, fay, gus] = clients;
    await restartWithout(server, clients, [gus]);
    for (const c of [eve, fay]) {
      assert.not.ok(c.welcomes[1].handed.peers.some((p) => p.peerId === gus.peerId), `${c.name}: gus is not presumed online`);
      await c.holds(ids([eve, fay], c), 5_000);
    }
  });
});

test('restart: a signal to a member not back yet is refused PEER_AWAY, and its sender alone hears it when it is back', async () => {
  await withRoom(30_000, ['eva', 'fay', 'gus'], async (server, clients) => {
  const [eva, fay, gus] = clients;
  const fayBefore = fay.presences.length;
  await restartWithout(server, clients, [gus]);
  assert.ok(eva.room.has(gus.peerId), 'gus is still listed while presumed back');
  assert.ok(eva.client.sendSignal(gus.peerId, { probe: 1 }));
  await waitFor(() => eva.errors.find((e) => e.code === 'PEER_AWAY' && e.peer === gus.peerId), 5_000, 'PEER_AWAY');
  const evaBefore = eva.presences.length;
  gus.client.start();
  await gus.welcomed(2);
  assert.equal(gus.welcomes[1].wire.partial?.changed, [], 'gus held the room too');
  const notice = await waitFor(() => eva.presences.slice(evaBefore).find((m) => m.joined.some((p) => p.peerId === gus.peerId)), 5_000, 'eva told gus is back');
  assert.equal(notice.left, []);
  // Now it reaches gus.
  assert.ok(eva.client.sendSignal(gus.peerId, { probe: 2 }));
  await waitFor(() => gus.signals.find((s) => s.from === eva.peerId && s.data.probe === 2), 5_000, 'the signal');
  // fay never asked for gus: it heard nothing about him (no join broadcast).
  assert.ok(fay.presences.slice(fayBefore).every((m) => !m.joined.some((p) => p.peerId === gus.peerId)));
  });
});

test('restart: a member whose session is logged out while it is away leaves at once, not after the grace', async () => {
  await withRoom(60_000, ['hal', 'ida'], async (server, clients, tokens) => {
  const [hal, ida] = clients;
  await restartWithout(server, clients, [ida]);
  assert.ok(hal.room.has(ida.peerId));
  const res = await postJson(`${server.httpUrl}/api/logout`, {}, { Authorization: `Bearer ${tokens[1]}` });
  assert.is(res.status, 204);
  await hal.holds([], 5_000);
  });
});

test('kill -9: the room saved before the kill comes back; members resume with an empty partial welcome and no presence is broadcast', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'chatroom-presence-kill9-'));
  const dbPath = path.join(dir, 'users.db');
  const args = (port: number) => ['--host', '127.0.0.1', '--port', String(port), '--db', dbPath];
  const servers: ServerProcess[] = [];
  const clients: RoomClient[] = [];
  try {
    const first = await spawnServerProcess(args(0));
    servers.push(first);
    const wsUrl = `ws://127.0.0.1:${first.port}/ws`;
    const names = ['jay', 'kim', 'lou'];
    const tokens: string[] = [];
    for (const username of names) {
      const reg = await postJson(`${first.httpUrl}/api/register`, { username, password: DEFAULT_PASSWORD, displayName: username });
      assert.is(reg.status, 201);
      const login = await postJson(`${first.httpUrl}/api/login`, { username, password: DEFAULT_PASSWORD });
      tokens.push(((await login.json()) as { token: string }).token);
    }
    clients.push(...(await room({ wsUrl }, tokens, names)));
    const saved = async () => {
      try {
        return (JSON.parse(await readFile(snapshotPath(dbPath), 'utf8')) as { peers: { info: { peerId: PeerId } }[] }).peers.length;
      } catch {
        return 0;
      }
    };
    // The saver writes within one interval of a change: wait for the file to hold the three.
    const deadline = Date.now() + 10_000;
    while ((await saved()) < 3) {
      if (Date.now() > deadline) throw new Error('the room was not saved within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 20)); // polled, as waitFor does
    }
    await first.kill9();
    await waitFor(() => clients.every((c) => c.status === 'reconnecting'), 5_000, 'all reconnecting');
    const before = clients.map((c) => c.presences.length);
    servers.push(await spawnServerProcess(args(first.port)));
    await Promise.all(clients.map((c) => c.welcomed(2, 20_000)));
    for (const c of clients) {
      assert.equal(c.welcomes[1].wire.partial?.changed, [], `${c.name}: nothing changed`);
      assert.equal(new Set(c.welcomes[1].handed.peers.map((p) => p.peerId)), new Set(ids(clients, c)));
    }
    // A newcomer is the sync point: the batch that names it is the only presence since the kill.
    const newcomer = 'max';
    await postJson(`http://127.0.0.1:${first.port}/api/register`, { username: newcomer, password: DEFAULT_PASSWORD, displayName: newcomer });
    const login = await postJson(`http://127.0.0.1:${first.port}/api/login`, { username: newcomer, password: DEFAULT_PASSWORD });
    const max = new RoomClient(newcomer, wsUrl, ((await login.json()) as { token: string }).token).start();
    clients.push(max);
    await max.welcomed(1);
    await max.holds(ids(clients, max));
    for (const [i, c] of clients.slice(0, 3).entries()) {
      await c.holds(ids(clients, c));
      assert.equal(
        c.presences.slice(before[i]).map((m) => ({ joined: m.joined.map((p) => p.peerId), left: m.left })),
        [{ joined: [max.peerId], left: [] }],
        `${c.name}: presence since the kill`,
      );
    }
  } finally {
    for (const c of clients) c.client.stop();
    await Promise.all(servers.map((s) => s.kill9()));
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
