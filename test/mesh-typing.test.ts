// Typing notices over the mesh: header-only frames, throttled on the sending side and on the
// receiving side (a peer that floods them is not echoed faster), never delivered as messages.

import * as assert from 'uvu/assert';
import { TYPING_SEND_EVERY_MS } from '../shared/limits';
import { encodeFrame, FrameType, newMessageId } from '../shared/frames';
import type { PeerInfo } from '../shared/protocol';
import { meshSuite, openRoguePeer, startPeers, until, waitFor } from './helpers/mesh';

const test = meshSuite('mesh typing');

test('typing reaches the others once per TYPING_SEND_EVERY_MS however often it is called, and is no message', async (ctx) => {
  ctx.peers = await startPeers(ctx.server, ['tia', 'ugo', 'val']);
  const [tia, ugo, val] = ctx.peers;
  await until(ctx.peers, () => ctx.peers.every((p) => p.mesh.peers().length === 2 && p.mesh.peers().every((v) => v.link !== 'connecting')), 20_000, 'links');
  const seen: PeerInfo[] = [];
  ugo.mesh.on('typing', (p) => seen.push(p));
  const atVal = waitFor(val.mesh, 'typing', (p) => p.username === 'tia', 5_000, 'typing at val');
  for (let i = 0; i < 20; i++) tia.mesh.typing();
  await atVal;
  tia.mesh.sendText('done typing');
  await until(ctx.peers, () => ugo.messages.some((m) => !m.own), 5_000, 'the text');
  assert.is(seen.length, 1, `one notice for 20 calls within ${TYPING_SEND_EVERY_MS} ms`);
  assert.is(seen[0].username, 'tia');
  assert.equal(ugo.messages.filter((m) => !m.own).map((m) => m.kind === 'text' && m.text), ['done typing'], 'typing is never a message');
});

test('a peer flooding typing frames is passed on at most twice per TYPING_SEND_EVERY_MS', async (ctx) => {
  ctx.peers = await startPeers(ctx.server, ['wes']);
  const [wes] = ctx.peers;
  const token = await ctx.server.registerAndLogin('xena');
  const rogue = await openRoguePeer(ctx.server.wsUrl, token, wes);
  ctx.cleanup.push(() => rogue.close());
  let count = 0;
  wes.mesh.on('typing', () => count++);
  const first = waitFor(wes.mesh, 'typing', () => true, 5_000, 'first typing');
  for (let i = 0; i < 200; i++) rogue.sendDirect(encodeFrame(FrameType.TYPING, undefined, 0));
  await first;
  // A text sent after the flood on the same ordered channel: once it is delivered, so was the flood.
  rogue.sendDirect(rogue.text(newMessageId(), 1, { sentAt: Date.now(), text: 'after the flood', base: 1 }));
  await until(ctx.peers, () => wes.messages.some((m) => m.kind === 'text' && m.text === 'after the flood'), 10_000, 'text after the flood');
  assert.is(count, 1, 'one notice passed on for a burst of 200');
  assert.equal(wes.errors.filter((e) => e.code === 'BAD_FRAME'), []);
});

test.run();
