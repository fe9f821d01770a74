// A text in flight while someone joins: the newcomer was no receiver when it was sent, and the peers
// its history sync asks may not have it yet. The author sends its texts of the last JOIN_RACE_MS to
// every peer that appears (recentTexts.ts), so the newcomer gets each exactly once, in order.

import * as assert from 'uvu/assert';
import { JOIN_RACE_TEXTS_MAX } from '../shared/limits';
import { meshSuite, newPeer, startPeers, until, waitFor } from './helpers/mesh';

const test = meshSuite('mesh join race');

test("a newcomer gets the texts sent just before it appeared even when nobody's history has them, once each, in order", async (ctx) => {
  // Nobody serves history here: what the newcomer gets of the earlier texts comes from the race re-send alone.
  const noHistory = { historyServeLimits: { requests: 0 } };
  ctx.peers = await startPeers(ctx.server, ['alice', 'bob'], noHistory);
  const [alice, bob] = ctx.peers;
  await until(ctx.peers, () => alice.mesh.peers().length === 1 && bob.mesh.peers().length === 1, 15_000, 'pair');
  const said = ['one', 'two', 'three'];
  for (const t of said) alice.mesh.sendText(t);
  await until(ctx.peers, () => bob.messages.length === 3, 15_000, 'bob has them');

  const carol = newPeer('carol', { serverUrl: ctx.server.wsUrl, token: await ctx.server.registerAndLogin('carol'), ...noHistory });
  ctx.peers.push(carol);
  const online = waitFor(carol.mesh, 'status', (s) => s === 'online', 15_000);
  carol.mesh.start();
  await online;
  await until(ctx.peers, () => alice.mesh.peers().length === 2, 15_000, 'alice lists carol');
  alice.mesh.sendText('four');
  await until(ctx.peers, () => carol.messages.length === 4, 15_000, 'carol has all four');
  assert.equal(carol.messages.map((m) => (m.kind === 'text' ? m.text : '')), [...said, 'four'], 'in order');
  assert.equal(carol.messages.map((m) => m.via?.username ?? null), ['alice', 'alice', 'alice', null], 'what was said before she came is marked as earlier');
  assert.ok(carol.errors.every((e) => e.code !== 'RATE_LIMITED'), 'the newcomer sees no refusal');
  const ids = carol.messages.map((m) => m.id);
  assert.is(new Set(ids).size, ids.length, 'once each');
});

test('at most JOIN_RACE_TEXTS_MAX of them', async (ctx) => {
  const noHistory = { historyServeLimits: { requests: 0 } };
  ctx.peers = await startPeers(ctx.server, ['alice'], noHistory);
  const [alice] = ctx.peers;
  for (let i = 0; i < JOIN_RACE_TEXTS_MAX + 5; i++) alice.mesh.sendText(`t${i}`);
  const [carol] = await startPeers(ctx.server, ['carol'], noHistory);
  ctx.peers.push(carol);
  await until(ctx.peers, () => alice.mesh.peers().length === 1, 15_000, 'alice lists carol');
  alice.mesh.sendText('last');
  await until(ctx.peers, () => carol.messages.some((m) => m.kind === 'text' && m.text === 'last'), 15_000, 'the live text');
  const texts = carol.messages.map((m) => (m.kind === 'text' ? m.text : ''));
  assert.equal(texts, [...Array.from({ length: JOIN_RACE_TEXTS_MAX }, (_, i) => `t${i + 5}`), 'last']);
});

test.run();
