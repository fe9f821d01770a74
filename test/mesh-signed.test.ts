// Every live message carries its author device's signature over its content record: a text or
// image signed by another key, or altered after signing, is refused (REJECT to the sender,
// reported as BAD_SIGNATURE), never shown; the sender's honest messages still arrive.

import * as assert from 'uvu/assert';
import { decodeFrame, encodeFrame, FrameType, newMessageId } from '../shared/frames';
import { generateDeviceKey } from '../shared/deviceKey';
import { signContentText, verifyContentText } from '../shared/contentRecord';
import { fakePng, meshSuite, openRoguePeer, rejectionOf, pollUntil, rogueSendImage, startPeers, textsFrom, until } from './helpers/mesh';
import { signedTextFrame } from './helpers/rogueFrames';

const test = meshSuite('mesh signed messages');

test('own messages are signed; forged and altered ones are refused and reported, honest ones shown', async (ctx) => {
  ctx.peers = await startPeers(ctx.server, ['victim', 'friend']);
  const [victim, friend] = ctx.peers;
  const rogue = await openRoguePeer(ctx.server.wsUrl, await ctx.server.registerAndLogin('mallory'), victim);
  ctx.cleanup.push(() => rogue.close());

  // An honest text is signed by its author's device, verifiably.
  const honest = friend.mesh.sendText('signed by me');
  await until(ctx.peers, () => textsFrom(victim, friend).length === 1, 15_000, 'honest text');
  const got = victim.messages.find((m) => m.id === honest.id)!;
  assert.is(got.device, friend.mesh.self!.deviceKey);
  assert.ok(verifyContentText({ kind: 'text', author: 'friend', device: got.device, id: got.id, sentAt: got.sentAt, text: 'signed by me' }, got.sig));

  const now = Date.now();
  // Signed with a key that is not mallory's device (e.g. the friend's stolen words re-signed elsewhere).
  const otherKey = signedTextFrame({ key: generateDeviceKey(), author: 'mallory' }, newMessageId(), 1, { sentAt: now, text: 'another key', base: 1 });
  // Signed as if written by the friend, with mallory's key.
  const otherAuthor = signedTextFrame({ key: rogue.signer.key, author: 'friend' }, newMessageId(), 2, { sentAt: now, text: 'as friend', base: 1 });
  // Correctly signed, then altered on the way.
  const alteredId = newMessageId();
  const sig = signContentText(rogue.signer.key, { kind: 'text', author: 'mallory', device: rogue.signer.key.publicKey, id: alteredId, sentAt: now, text: 'pay 10' });
  const altered = encodeFrame(FrameType.TEXT, alteredId, 3, { sentAt: now, text: 'pay 1000', base: 1, sig });
  const forgedIds = [otherKey, otherAuthor, altered].map((f) => {
    rogue.sendDirect(f);
    return decodeFrame(f).id;
  });
  // An image whose end is signed by a throwaway key.
  const image = rogueSendImage(rogue, 'sendRelay', fakePng(1000), { signer: { key: generateDeviceKey(), author: 'mallory' } });
  const fine = newMessageId();
  rogue.sendDirect(rogue.text(fine, 4, { sentAt: now, text: 'mallory, honestly', base: 1 }));

  const refused = [...forgedIds, image];
  // REJECTs reach the rogue's raw socket, which raises no mesh event: poll.
  await pollUntil(() => victim.messages.some((m) => m.id === fine) && refused.every((id) => rejectionOf(rogue, id)), 15_000, 'refusals');
  for (const id of refused) {
    const reject = rejectionOf(rogue, id);
    assert.ok(reject?.type === FrameType.REJECT && reject.body.code === 'BAD_SIGNATURE', `REJECT BAD_SIGNATURE for ${id}`);
    assert.ok(victim.errors.some((e) => e.code === 'BAD_SIGNATURE' && e.messageId === id && e.peerId === rogue.peerId && e.incoming), 'reported');
    assert.not.ok(victim.messages.some((m) => m.id === id), 'never shown');
  }
  assert.equal(victim.messages.filter((m) => m.from.peerId === rogue.peerId).map((m) => m.kind === 'text' && m.text), ['mallory, honestly']);
});

test.run();
