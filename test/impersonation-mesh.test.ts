// Impersonation between peers: a rogue peer replays another sender's message ids and wraps frames
// in envelopes naming someone else. Receivers attribute everything to the sender the server (or
// the data channel) stands for, show one message per id, and the real sender's messages still
// arrive exactly once.

import * as assert from 'uvu/assert';
import { newMessageId } from '../shared/frames';
import { encodeRelayEnvelope } from '../shared/relayEnvelope';
import { meshSuite, openRoguePeer, startPeers, textsFrom, until } from './helpers/mesh';

const test = meshSuite('impersonation (mesh)');

test("replayed message ids and envelopes naming someone else are the rogue's own messages", async (ctx) => {
  ctx.peers = await startPeers(ctx.server, ['victim', 'friend']);
  const [victim, friend] = ctx.peers;
  const rogue = await openRoguePeer(ctx.server.wsUrl, await ctx.server.registerAndLogin('mallory'), victim);
  ctx.cleanup.push(() => rogue.close());
  // Signed by mallory's own device: they are mallory's texts, whatever ids and envelopes say.
  const text = (id: string, seq: number, body: string) => rogue.text(id, seq, { sentAt: Date.now(), text: body, base: 1 });
  const friendId = friend.mesh.self!.peerId;

  const real = friend.mesh.sendText('the real one');
  await until(ctx.peers, () => textsFrom(victim, friend).length === 1, 15_000, "friend's first text");
  // The rogue replays the friend's message id with other words, over both paths.
  rogue.sendDirect(text(real.id, 1, 'forged over the data channel'));
  rogue.sendRelay(text(real.id, 1, 'forged over the relay'));
  // An envelope inside the payload naming the friend as sender.
  rogue.sendRelay(encodeRelayEnvelope(friendId, text(newMessageId(), 2, 'wrapped as if from friend')));
  // An envelope naming the friend as receiver: it reaches the friend, as from mallory.
  const toFriend = newMessageId();
  rogue.socket.ws.send(encodeRelayEnvelope(friendId, text(toFriend, 1, 'hello friend, it is mallory')));
  const after = friend.mesh.sendText('the real second one');

  await until(ctx.peers, () => textsFrom(victim, friend).length === 2 && friend.messages.some((m) => m.id === toFriend), 15_000, 'deliveries');
  assert.equal(textsFrom(victim, friend), ['the real one', 'the real second one'], "the friend's texts, once each, unaltered");
  assert.equal(
    victim.messages.filter((m) => !m.own && m.from.peerId === friendId).map((m) => m.id),
    [real.id, after.id],
  );
  // Whatever the rogue's frames carried, the victim names mallory as their sender (or drops them).
  const fromRogue = victim.messages.filter((m) => !m.own && m.from.peerId === rogue.peerId);
  assert.ok(fromRogue.every((m) => m.from.username === 'mallory'));
  // A message id names one message in the whole room (history passes it on): a replay under a known
  // id, even signed by mallory herself, is never shown; the friend's original stays the only one.
  assert.is(victim.messages.filter((m) => m.id === real.id).length, 1, 'one message per id');
  assert.not.ok(fromRogue.some((m) => m.id === real.id), 'the replayed id is not shown as mallory');
  assert.not.ok(victim.messages.some((m) => m.kind === 'text' && m.text === 'wrapped as if from friend' && m.from.peerId === friendId));
  const atFriend = friend.messages.find((m) => m.id === toFriend)!;
  assert.is(atFriend.from.peerId, rogue.peerId);
  assert.is(atFriend.from.username, 'mallory');
});

test.run();
