import * as assert from 'uvu/assert';
import { CHUNK_BYTES, IMAGE_MAX_BYTES, TEXT_MAX_CHARS } from '../shared/limits';
import { encodeBundle, encodeFrame, FrameType, FRAME_HEADER_BYTES, newMessageId } from '../shared/frames';
import type { ErrorCode } from '../shared/errors';
import { fakePng, meshSuite, openRoguePeer, pollUntil, rejectionOf, rogueSendImage, startPeers, textsFrom, until, type RoguePeer } from './helpers/mesh';

const test = meshSuite('mesh bad frames');

/** Start, chunks (in `order`), end with `sha256` (the real one unless overridden). */
function sendImage(rogue: RoguePeer, via: 'sendDirect' | 'sendRelay', bytes: Uint8Array, start: Record<string, unknown> = {}, order?: number[], sha256?: string): string {
  return rogueSendImage(rogue, via, bytes, { start, order, sha256 });
}

test('oversized, truncated, unknown type, wrong hash, non-image, too large, too long, out of order: rejected and reported, mesh keeps working', async (ctx) => {
  ctx.peers = await startPeers(ctx.server, ['victim', 'friend']);
  const [victim, friend] = ctx.peers;
  const rogue = await openRoguePeer(ctx.server.wsUrl, await ctx.server.registerAndLogin('mallory'), victim);
  ctx.cleanup.push(() => rogue.close());
  const errorsFromRogue = (code: ErrorCode) => victim.errors.filter((e) => e.code === code && e.peerId === rogue.peerId).length;
  const rejected = (id: string) => rejectionOf(rogue, id);

  // Frame-level garbage, through both paths.
  rogue.sendDirect(new Uint8Array(100 * 1024)); // over PEER_FRAME_MAX_BYTES, under wrtc's 256 KiB
  rogue.sendDirect(new Uint8Array(10));
  rogue.sendRelay(new Uint8Array(10));
  const unknown = encodeFrame(FrameType.ACK, newMessageId(), 0);
  unknown[1] = 0x7f;
  rogue.sendDirect(unknown);
  rogue.sendRelay(unknown);
  rogue.sendDirect(encodeBundle([encodeFrame(FrameType.ACK, newMessageId(), 0)])); // bundles belong to the relay
  const miscounted = encodeBundle([encodeFrame(FrameType.ACK, newMessageId(), 0)]);
  miscounted[FRAME_HEADER_BYTES - 1] = 2;
  rogue.sendRelay(miscounted);
  await until(ctx.peers, () => errorsFromRogue('TOO_LARGE') === 1 && errorsFromRogue('BAD_FRAME') >= 4 && errorsFromRogue('UNKNOWN_TYPE') === 2, 15_000, 'frame errors');

  // Message-level problems: each answered with a REJECT naming the message.
  const png = fakePng(3 * CHUNK_BYTES + 100);
  const wrongHash = sendImage(rogue, 'sendDirect', png, {}, undefined, 'a'.repeat(64));
  const svg = new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>');
  const notImage = sendImage(rogue, 'sendRelay', svg);
  const tooLarge = sendImage(rogue, 'sendDirect', png, { size: IMAGE_MAX_BYTES + 1, chunks: Math.ceil((IMAGE_MAX_BYTES + 1) / CHUNK_BYTES) }, []);
  const outOfOrder = sendImage(rogue, 'sendDirect', png, {}, [0, 2, 1, 3]);
  const longId = newMessageId();
  rogue.sendDirect(rogue.text(longId, 1, { sentAt: 1, text: 'x'.repeat(TEXT_MAX_CHARS + 1), base: 1 }));
  await until(ctx.peers, () => [wrongHash, notImage, tooLarge, outOfOrder, longId].every((id) => victim.errors.some((e) => e.messageId === id)), 15_000, 'message errors');
  const codeOf = (id: string) => victim.errors.find((e) => e.messageId === id)?.code;
  assert.is(codeOf(wrongHash), 'HASH_MISMATCH');
  assert.is(codeOf(notImage), 'BAD_IMAGE');
  assert.is(codeOf(tooLarge), 'IMAGE_TOO_LARGE');
  assert.is(codeOf(outOfOrder), 'BAD_FRAME');
  assert.is(codeOf(longId), 'TEXT_TOO_LONG');
  await pollUntil(() => [wrongHash, notImage, tooLarge, outOfOrder, longId].every((id) => rejected(id)), 10_000, 'REJECT frames');
  assert.ok(!victim.messages.some((m) => !m.own && m.from.peerId === rogue.peerId), 'nothing bad delivered');

  // Still alive: a valid image and a text from the same sender arrive, named by the server.
  const okId = sendImage(rogue, 'sendDirect', png);
  rogue.sendRelay(encodeBundle([rogue.text(newMessageId(), 1, { sentAt: 1, text: 'hi', base: 1 })]));
  friend.mesh.sendText('still here');
  await until(ctx.peers, () => victim.messages.filter((m) => m.from.peerId === rogue.peerId).length === 2 && textsFrom(victim, friend).length === 1, 15_000, 'valid messages');
  // The image came direct, the text bundled over the relay: either may be first.
  const fromRogue = victim.messages.filter((m) => m.from.peerId === rogue.peerId);
  const image = fromRogue.find((m) => m.kind === 'image');
  const text = fromRogue.find((m) => m.kind === 'text');
  assert.is(image?.id, okId);
  assert.is(image?.from.username, 'mallory');
  assert.is(text?.kind === 'text' && text.text, 'hi');
});

test.run();
