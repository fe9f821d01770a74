// Images whose SHA-256 is right but whose structure is not: refused by the receiver after the hash
// check (reported locally and to the sender with REJECT, nothing delivered), and refused by a real
// sender before anything is sent.

import * as assert from 'uvu/assert';
import { ChatError } from '../shared/errors';
import { CHUNK_BYTES } from '../shared/limits';
import { FrameType } from '../shared/frames';
import { imagesFrom, meshSuite, openRoguePeer, pollUntil, rejectionOf, rogueSendImage, startPeers, until } from './helpers/mesh';
import { JPEG_5X3, WEBP_LOSSY_5X3, makeAnimatedGif, makeGif, makePng, paddedPng, pngClaiming } from './helpers/imageFixtures';

const test = meshSuite('mesh bad images');

const html = Buffer.from('<html><script>alert(document.cookie)</script></html>');
const cat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

/** A structurally valid PNG claiming 20000x20000 pixels (correct CRCs, a tiny IDAT). */
const hugePng = () => pngClaiming(20_000, 20_000);

async function refusedBySend(send: Promise<unknown>): Promise<string> {
  try {
    await send;
    return 'sent';
  } catch (err) {
    assert.instance(err, ChatError);
    return (err as ChatError).code;
  }
}

test('receiver: right hash, bad structure -> refused after the hash check, reported, REJECT to the sender, nothing delivered', async (ctx) => {
  ctx.peers = await startPeers(ctx.server, ['victim']);
  const [victim] = ctx.peers;
  const rogue = await openRoguePeer(ctx.server.wsUrl, await ctx.server.registerAndLogin('mallory'), victim);
  ctx.cleanup.push(() => rogue.close());

  const webpLying = Buffer.from(WEBP_LOSSY_5X3);
  webpLying.writeUInt32LE(webpLying.readUInt32LE(4) + 100, 4);
  const cases = [
    { what: 'png + html (several chunks)', via: 'sendDirect', bytes: cat(paddedPng(3 * CHUNK_BYTES + 100), html), code: 'BAD_IMAGE' },
    { what: 'png claiming 20000x20000', via: 'sendRelay', bytes: hugePng(), code: 'IMAGE_TOO_MANY_PIXELS' },
    { what: 'gif + script after the trailer', via: 'sendDirect', bytes: cat(makeGif(), Buffer.from('*/alert(1)//')), code: 'BAD_IMAGE' },
    { what: 'truncated jpeg', via: 'sendRelay', bytes: JPEG_5X3.subarray(0, JPEG_5X3.length - 40), code: 'BAD_IMAGE' },
    { what: 'webp with a lying RIFF size', via: 'sendDirect', bytes: webpLying, code: 'BAD_IMAGE' },
  ] as const;
  const ids = cases.map((c) => rogueSendImage(rogue, c.via, c.bytes, { start: { mime: 'image/png' } }));
  await until(ctx.peers, () => ids.every((id) => victim.errors.some((e) => e.messageId === id)), 15_000, 'refusals reported');
  await pollUntil(() => ids.every((id) => rejectionOf(rogue, id)), 10_000, 'REJECT frames back to the sender');
  cases.forEach((c, i) => {
    const error = victim.errors.find((e) => e.messageId === ids[i])!;
    assert.is(error.code, c.code, c.what);
    assert.is(error.peerId, rogue.peerId, c.what);
    assert.is(error.incoming, true, c.what);
    const reject = rejectionOf(rogue, ids[i]);
    assert.ok(reject && reject.type === FrameType.REJECT && reject.body.code === c.code, `${c.what}: REJECT ${c.code} to the sender`);
  });
  assert.is(victim.messages.length, 0, 'nothing delivered');

  // The same sender's valid images still arrive, with the type from the bytes.
  const okIds = [rogueSendImage(rogue, 'sendDirect', JPEG_5X3), rogueSendImage(rogue, 'sendRelay', makeAnimatedGif())];
  await until(ctx.peers, () => victim.messages.length === 2, 15_000, 'valid images delivered');
  // Two paths: delivered in the order they completed here.
  const mimeOf = (id: string) => {
    const m = victim.messages.find((x) => x.id === id);
    return m?.kind === 'image' && m.from.peerId === rogue.peerId ? m.mime : null;
  };
  assert.equal(okIds.map(mimeOf), ['image/jpeg', 'image/gif']);
});

test('sender: a polyglot, a truncated image and 20000x20000 pixels are refused before anything is sent', async (ctx) => {
  ctx.peers = await startPeers(ctx.server, ['alice', 'bob']);
  const [alice, bob] = ctx.peers;
  await until(ctx.peers, () => alice.mesh.peers().length === 1 && bob.mesh.peers().length === 1, 15_000, 'peers listed');
  assert.is(await refusedBySend(alice.mesh.sendImage(cat(makePng(4, 4), html), 'poly.png')), 'BAD_IMAGE');
  assert.is(await refusedBySend(alice.mesh.sendImage(makePng(4, 4).subarray(0, 40), 'cut.png')), 'BAD_IMAGE');
  assert.is(await refusedBySend(alice.mesh.sendImage(hugePng(), 'huge.png')), 'IMAGE_TOO_MANY_PIXELS');
  assert.is(await refusedBySend(alice.mesh.sendImage(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>'), 'renamed.png')), 'BAD_IMAGE');
  assert.is(alice.messages.length, 0, 'no own message for a refused image');

  // Frames of one peer arrive in order: had a refused image gone out, bob would see it before this one.
  const ok = await alice.mesh.sendImage(makeGif(), 'ok.gif');
  await until(ctx.peers, () => imagesFrom(bob, alice).length === 1, 20_000, 'the valid image');
  assert.is(imagesFrom(bob, alice)[0].id, ok.id);
  assert.ok(bob.progress.every((p) => p.messageId === ok.id), 'no other transfer reached bob');
  assert.is(bob.errors.length, 0);
});

test.run();
