// The room's order (issue 11, "Order"): a new message is stamped after the newest one seen, so
// every page sorts (sentAt, id) the same way whatever the clocks; a sent time far ahead of ours
// does not drag everyone's times along.

import * as assert from 'uvu/assert';
import { CLOCK_AHEAD_MAX_MS } from '../shared/limits';
import { encodeFrame, FrameType, newMessageId } from '../shared/frames';
import { mergeMessages } from '../client/app/chat/messages';
import type { StoredMessage } from '../client/app/chat/history';
import { meshSuite, openRoguePeer, startPeers, until } from './helpers/mesh';

const test = meshSuite('room order');

test('an answer is stamped after the message it answers, even from a clock behind; a far-future time is not followed', async (ctx) => {
  ctx.peers = await startPeers(ctx.server, ['cal']);
  const [cal] = ctx.peers;
  const rogue = await openRoguePeer(ctx.server.wsUrl, await ctx.server.registerAndLogin('dot'), cal);
  ctx.cleanup.push(() => rogue.close());
  // dot's clock is 30 s ahead of cal's.
  const ahead = Date.now() + 30_000;
  rogue.sendDirect(rogue.text(newMessageId(), 1, { sentAt: ahead, text: 'from the future', base: 1 }));
  await until(ctx.peers, () => cal.messages.some((m) => !m.own), 10_000, 'the text');
  const answer = cal.mesh.sendText('an answer');
  assert.ok(answer.sentAt > ahead, 'stamped after what it answers');
  // A claim beyond CLOCK_AHEAD_MAX_MS is shown with its time but does not move the room's clock.
  const far = Date.now() + CLOCK_AHEAD_MAX_MS * 10;
  rogue.sendDirect(rogue.text(newMessageId(), 2, { sentAt: far, text: 'from far away', base: 1 }));
  await until(ctx.peers, () => cal.messages.filter((m) => !m.own).length === 2, 10_000, 'the second text');
  const next = cal.mesh.sendText('still now');
  assert.ok(next.sentAt < far, 'not dragged into a far future');
  assert.ok(next.sentAt > answer.sentAt, 'and still after the previous own message');
});

test('pages sort the same messages the same way whatever order they arrived in', () => {
  const msg = (id: string, sentAt: number, receivedAt: number): StoredMessage =>
    ({ id, sentAt, receivedAt, own: false, kind: 'text', text: id, size: 2, from: { peerId: 'p'.repeat(22), username: 'u', displayName: 'U' } }) as StoredMessage;
  const a = msg('a'.repeat(32), 100, 5);
  const b = msg('b'.repeat(32), 100, 1);
  const c = msg('c'.repeat(32), 50, 9);
  const one = mergeMessages(mergeMessages([], [a]), [b, c]);
  const two = mergeMessages(mergeMessages([], [c, b]), [a, a]);
  assert.equal(one.map((m) => m.id[0]), ['c', 'a', 'b']);
  assert.equal(two.map((m) => m.id[0]), ['c', 'a', 'b']);
});

test.run();
