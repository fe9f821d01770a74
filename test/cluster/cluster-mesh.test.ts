// Six mesh peers on three rendezvous nodes, each node its own process, over a real Redis and
// PostgreSQL: signaling across nodes makes direct links; with the relay forced, texts and a 5 MiB
// image cross nodes through Redis; a node killed with -9 mid-chat: its peers are back on the other
// nodes within CLUSTER_FAILOVER_MAX_MS and no text is lost or duplicated.

import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ConnectionStatus } from '../../client/mesh/api';
import { spawnNode, startEngines, type Engines } from '../helpers/cluster';
import { allLinks, fakePng, imagesFrom, newPeer, stopAll, textsFrom, until, waitFor, type TestPeer } from '../helpers/mesh';
import { DEFAULT_PASSWORD, postJson, type ServerProcess } from '../helpers/server';
import { connectPeer } from '../helpers/ws';
import { NODE_DEPARTURE_BOUND_MS } from '../../shared/limits';

/** The bound: a killed node's users are back on another node within this (ms). */
const CLUSTER_FAILOVER_MAX_MS = 5_000;
const NAMES = ['ann', 'ben', 'cat', 'dan', 'eve', 'fay'];

interface Ctx {
  engines: Engines;
  nodes: ServerProcess[];
  peers: TestPeer[];
  dir: string;
}

async function startCluster(ctx: Ctx, relay: 'auto' | 'force'): Promise<void> {
  ctx.engines = await startEngines();
  ctx.dir = await mkdtemp(path.join(tmpdir(), 'chatroom-cluster-'));
  const config = path.join(ctx.dir, 'config.ini');
  await writeFile(config, `[relay]\nmode = ${relay}\n`);
  ctx.nodes = [];
  // One after the other: the first migrates the schema (the others would wait on its lock anyway).
  for (const name of ['n1', 'n2', 'n3']) ctx.nodes.push(await spawnNode(ctx.engines, name, ['--config', config]));
  const tokens: string[] = [];
  for (const [i, name] of NAMES.entries()) {
    const node = ctx.nodes[i % 3].httpUrl;
    const registered = await postJson(`${node}/api/register`, { username: name, password: DEFAULT_PASSWORD, displayName: name });
    assert.is(registered.status, 201);
    const login = await postJson(`${ctx.nodes[(i + 1) % 3].httpUrl}/api/login`, { username: name, password: DEFAULT_PASSWORD });
    tokens.push(((await login.json()) as { token: string }).token);
  }
  // Peer i on node i % 3: two on each.
  ctx.peers = NAMES.map((name, i) => newPeer(name, { serverUrl: `ws://127.0.0.1:${ctx.nodes[i % 3].port}/ws`, token: tokens[i] }));
  await Promise.all(
    ctx.peers.map((p) => {
      const online = waitFor(p.mesh, 'status', (s) => s === 'online', 15_000, `${p.name} online`);
      p.mesh.start();
      return online;
    }),
  );
}

async function stopCluster(ctx: Ctx): Promise<void> {
  stopAll(ctx.peers ?? []);
  for (const node of ctx.nodes ?? []) await node.kill9();
  await ctx.engines?.stop();
  if (ctx.dir) await rm(ctx.dir, { recursive: true, force: true });
}

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Chat, kill -9 the node of peers 2 and 5 (n3) mid-chat, chat on; every text arrives once, in order. */
async function killNodeMidChat(ctx: Ctx, link: 'direct' | 'relay'): Promise<void> {
  const peers = ctx.peers;
  let n = 0;
  const say = () => {
    for (const p of peers) p.mesh.sendText(`${p.name} ${n}`);
    n++;
  };
  for (let i = 0; i < 3; i++) say();
  const orphans = [peers[2], peers[5]];
  const statuses = new Map<string, ConnectionStatus[]>();
  for (const p of orphans) p.mesh.on('status', (s) => statuses.set(p.name, [...(statuses.get(p.name) ?? []), s]));
  const killedAt = Date.now();
  await ctx.nodes[2].kill9();
  for (let i = 0; i < 3; i++) say(); // while n3's peers have no node
  await until(orphans, () => orphans.every((p) => statuses.get(p.name)?.includes('reconnecting') && p.mesh.status === 'online'), CLUSTER_FAILOVER_MAX_MS * 2, 'orphans back online');
  const back = Date.now() - killedAt;
  console.log(`    ${link}: the killed node's peers were back on other nodes ${back} ms after kill -9`);
  assert.ok(back < CLUSTER_FAILOVER_MAX_MS, `back in ${back} ms`);
  await allLinks(peers, link, 30_000);
  for (let i = 0; i < 3; i++) say();
  await until(peers, () => peers.every((a) => peers.every((b) => a === b || textsFrom(a, b).length >= n)), 30_000, 'every text everywhere');
  const expected = (name: string) => Array.from({ length: n }, (_, i) => `${name} ${i}`);
  for (const a of peers) for (const b of peers) if (a !== b) assert.equal(textsFrom(a, b), expected(b.name), `${a.name} from ${b.name}`);
}

const direct = suite<Ctx>('cluster mesh: three node processes, direct links');
direct.before(async (ctx) => startCluster(ctx, 'auto'));
direct.after(async (ctx) => stopCluster(ctx));
direct('signaling across nodes makes direct links between all six; a node killed with -9 loses no text', async (ctx) => {
  await allLinks(ctx.peers, 'direct', 30_000);
  // A client of the node to be killed that will not come back: the others must hear it leave.
  const n3 = ctx.nodes[2].httpUrl;
  assert.is((await postJson(`${n3}/api/register`, { username: 'gus', password: DEFAULT_PASSWORD, displayName: 'gus' })).status, 201);
  const token = ((await (await postJson(`${n3}/api/login`, { username: 'gus', password: DEFAULT_PASSWORD })).json()) as { token: string }).token;
  const gus = await connectPeer(`ws://127.0.0.1:${ctx.nodes[2].port}/ws`, token);
  const ann = ctx.peers[0];
  await until([ann], () => ann.mesh.peers().some((p) => p.peerId === gus.self.peerId), 10_000, 'ann sees gus');
  const gone = until([ann], () => !ann.mesh.peers().some((p) => p.peerId === gus.self.peerId), NODE_DEPARTURE_BOUND_MS + 2_000, 'gus announced gone');
  const killed = Date.now();
  await killNodeMidChat(ctx, 'direct');
  await gone;
  console.log(`    a client of the killed node that did not come back was announced gone after ${Date.now() - killed} ms at most (bound ${NODE_DEPARTURE_BOUND_MS} ms)`);
  await gus.close();
});
direct.run();

const relayed = suite<Ctx>('cluster mesh: three node processes, relay forced');
relayed.before(async (ctx) => startCluster(ctx, 'force'));
relayed.after(async (ctx) => stopCluster(ctx));
relayed('a 5 MiB image relayed across nodes reaches all five others intact', async (ctx) => {
  const peers = ctx.peers;
  await allLinks(peers, 'relay', 30_000);
  const image = fakePng(5 * 1024 * 1024);
  const started = Date.now();
  await peers[0].mesh.sendImage(image, 'big.png');
  await until(peers, () => peers.slice(1).every((p) => imagesFrom(p, peers[0]).length === 1), 120_000, 'image everywhere');
  console.log(`    5 MiB image relayed to 5 peers on 3 nodes in ${Date.now() - started} ms`);
  for (const p of peers.slice(1)) {
    const [m] = imagesFrom(p, peers[0]);
    assert.ok(m.kind === 'image' && sha256(m.bytes) === sha256(image), `${p.name} got it intact`);
  }
});
relayed('relay forced: a node killed with -9 mid-chat loses no relayed text and duplicates none', (ctx) => killNodeMidChat(ctx, 'relay'));
relayed.run();
