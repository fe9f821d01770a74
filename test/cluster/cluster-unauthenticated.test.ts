// The unauthenticated-sockets-per-address cap counted over the nodes of a cluster: sockets a host
// holds unauthenticated on one node count on the others (each node publishes its counts through
// Redis), and a count given back on one node frees the others.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startEngines, startNode, type Engines } from '../helpers/cluster';
import type { TestServer } from '../helpers/server';
import { openSocket, upgradeStatus, type TestSocket } from '../helpers/ws';

const CAP = 3;
/** How long a count may take to reach the other node (ms). */
const PROPAGATION_MS = 3_000;

interface Ctx {
  engines: Engines;
  nodes: TestServer[];
}

const test = suite<Ctx>('cluster: unauthenticated sockets per address, over the nodes');

test.before(async (ctx) => {
  ctx.engines = await startEngines();
  ctx.nodes = [await startNode(ctx.engines, 'u1', { unauthenticatedPerAddressMax: CAP }), await startNode(ctx.engines, 'u2', { unauthenticatedPerAddressMax: CAP })];
});

test.after(async (ctx) => {
  for (const node of ctx.nodes ?? []) await node.stop().catch(() => {});
  await ctx.engines?.stop();
});

/** Upgrades on `node` until one gets `status` (an upgrade let in is closed at once), failing after PROPAGATION_MS. */
async function untilStatus(node: TestServer, status: number): Promise<void> {
  const deadline = Date.now() + PROPAGATION_MS;
  let last = 0;
  while ((last = await upgradeStatus(node.wsUrl)) !== status) {
    if (Date.now() > deadline) assert.unreachable(`upgrades on ${node.wsUrl} still got ${last}, not ${status}, after ${PROPAGATION_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('sockets held on one node count on the other; closing them frees it', async (ctx) => {
  const [u1, u2] = ctx.nodes;
  const held: TestSocket[] = await Promise.all(Array.from({ length: CAP }, () => openSocket(u1.wsUrl)));
  assert.is(await upgradeStatus(u1.wsUrl), 429, 'at the cap on the node that holds them');
  await untilStatus(u2, 429);
  await Promise.all(held.map((s) => s.close()));
  await untilStatus(u2, 101);
  assert.is(await upgradeStatus(u1.wsUrl), 101);
});

test.run();
