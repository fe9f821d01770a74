// "Delivered to k of n" (issue 11, point 3): n = the other accounts online when a message was sent,
// k = those whose app said it stored and showed it (RECEIPT), counted once per account.

import * as assert from 'uvu/assert';
import type { DeliveryState } from '../client/mesh/api';
import { fakePng, meshSuite, newPeer, startPeers, until, waitFor, type TestPeer } from './helpers/mesh';

const test = meshSuite('mesh delivery state');

/** Receipts as the app sends them: once a message is kept and shown (here: at once). */
function actAsApp(p: TestPeer): void {
  p.mesh.on('message', (m) => p.mesh.receipt(m));
}

function follow(p: TestPeer): Map<string, DeliveryState> {
  const states = new Map<string, DeliveryState>();
  p.mesh.on('delivery', (s) => states.set(s.messageId, s));
  return states;
}

test('0 of n when sent, then k of n as the apps confirm; a silent app is never counted; my other device is not "others"', async (ctx) => {
  const tokens = await Promise.all(['yan', 'zoe', 'abe'].map((n) => ctx.server.registerAndLogin(n)));
  const yan2Token = await ctx.server.login('yan');
  const names = ['yan', 'zoe', 'abe', 'yan (2nd device)'];
  ctx.peers = [...tokens, yan2Token].map((t, i) => newPeer(names[i], { serverUrl: ctx.server.wsUrl, token: t }));
  await Promise.all(ctx.peers.map((p) => { const w = waitFor(p.mesh, 'status', (s) => s === 'online'); p.mesh.start(); return w; }));
  const [yan, zoe, abe, yan2] = ctx.peers;
  await until(ctx.peers, () => ctx.peers.every((p) => p.mesh.peers().length === 3 && p.mesh.peers().every((v) => v.link !== 'connecting')), 20_000, 'links');
  actAsApp(zoe);
  actAsApp(yan2); // my own other device: it receives, but does not count
  // abe's app never confirms (it got the frames, its transport acked them)
  const states = follow(yan);
  const text = yan.mesh.sendText('who has it?');
  assert.equal(states.get(text.id), { messageId: text.id, delivered: 0, total: 2 }, 'sent: 0 of the 2 other accounts');
  await until(ctx.peers, () => states.get(text.id)?.delivered === 1, 10_000, 'zoe confirmed');
  await until(ctx.peers, () => abe.messages.some((m) => m.id === text.id) && yan2.messages.some((m) => m.id === text.id), 10_000, 'abe and my other device have it');
  await yan.mesh.drained!(10_000);
  assert.equal(states.get(text.id), { messageId: text.id, delivered: 1, total: 2 }, 'abe never confirmed; my device does not count');
  // An image counts the same way.
  actAsApp(abe);
  const image = await yan.mesh.sendImage(fakePng(200_000), 'd.png');
  await until(ctx.peers, () => states.get(image.id)?.delivered === 2, 10_000, 'image confirmed by both');
  assert.is(states.get(image.id)!.total, 2);
});

test('alone in the room: 0 of 0, which the page says as "nobody else was online"', async (ctx) => {
  ctx.peers = await startPeers(ctx.server, ['bea']);
  const [bea] = ctx.peers;
  const states = follow(bea);
  const m = bea.mesh.sendText('anyone?');
  assert.equal(states.get(m.id), { messageId: m.id, delivered: 0, total: 0 });
});

test.run();
