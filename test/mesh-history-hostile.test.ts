// A hostile peer serving history: an altered text, a text signed by a key that is not its author's,
// a replay under a new id, an oversized batch, a listing that never ends. Each is refused and
// reported (never shown), and the newcomer's sync completes from the honest peer beside it.

import * as assert from 'uvu/assert';
import { decodeFrame, encodeFrame, FrameType, newMessageId, type Frame } from '../shared/frames';
import { decodeRelayEnvelope } from '../shared/relayEnvelope';
import type { HistoryRecord } from '../shared/historyRecord';
import { signContentText } from '../shared/contentRecord';
import type { ErrorCode } from '../shared/errors';
import type { ChatMessage } from '../client/mesh/api';
import { fakePng, meshSuite, newPeer, startPeers, until, waitFor, type TestPeer } from './helpers/mesh';
import { connectPeer, type OnlineSocket } from './helpers/ws';
import { sealingFor } from './helpers/sealing';

const test = meshSuite('mesh history from a hostile peer');

const recordOf = (m: ChatMessage): HistoryRecord => {
  if (m.kind !== 'text') throw new Error('texts only here');
  return { kind: 'text', id: m.id, author: m.from.username, device: m.device, sentAt: m.sentAt, text: m.text, sig: m.sig };
};

/** Answers every history request it gets over the relay with `answer(requester)` (frames to send back). */
function serveHostile(socket: OnlineSocket, answer: () => Uint8Array[], onImagesAsked?: () => void): void {
  const sealing = sealingFor(socket);
  // One at a time, in order: a payload may wait for the presence that names its sender.
  let turn = Promise.resolve();
  socket.ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) turn = turn.then(() => answerFrames(new Uint8Array(data)));
  });
  async function answerFrames(data: Uint8Array): Promise<void> {
    const { peerId, payload } = decodeRelayEnvelope(data);
    const outer = decodeFrame(await sealing.openWhenKnown(peerId, payload));
    const frames: Frame[] = outer.type === FrameType.BUNDLE ? outer.body.map((b) => decodeFrame(b)) : [outer];
    for (const f of frames) {
      if (f.type === FrameType.HISTORY_IMAGES) onImagesAsked?.();
      if (f.type !== FrameType.HISTORY_REQUEST) continue;
      const send = (frame: Uint8Array) => socket.ws.send(sealing.request(peerId, frame));
      send(encodeFrame(FrameType.ACK, f.id, 0));
      for (const frame of answer()) send(frame);
    }
  }
}

const batch = (records: unknown[], last: boolean, seq = 0) => {
  const id = newMessageId();
  return encodeFrame(FrameType.HISTORY_BATCH, id, seq, { records, last });
};

test('altered, misattributed, replayed, oversized, endless: refused and reported; the honest peer completes the sync', async (ctx) => {
  ctx.peers = await startPeers(ctx.server, ['alice']);
  const [alice] = ctx.peers;
  for (const t of ['one', 'two', 'three']) alice.mesh.sendText(t);
  await until(ctx.peers, () => alice.messages.length === 3, 15_000, 'alice talked');
  const honest = alice.messages.map(recordOf);
  const mallory = await connectPeer(ctx.server.wsUrl, await ctx.server.registerAndLogin('mallory'));
  ctx.cleanup.push(() => mallory.close());
  const malloryKey = mallory.deviceKey;

  const cases: { what: string; code: ErrorCode; frames: () => Uint8Array[] }[] = [
    { what: 'an altered text', code: 'BAD_SIGNATURE', frames: () => [batch([{ ...honest[0], text: 'one (edited by mallory)' }], true)] },
    {
      what: "a text signed by mallory's key, claimed as alice's",
      code: 'BAD_SIGNATURE',
      frames: () => {
        const r = { kind: 'text' as const, id: newMessageId(), author: 'alice', device: malloryKey.publicKey, sentAt: Date.now(), text: 'alice owes me' };
        return [batch([{ ...r, sig: signContentText(malloryKey, r) }], true)];
      },
    },
    { what: 'a replay under a new id', code: 'BAD_SIGNATURE', frames: () => [batch([{ ...honest[1], id: newMessageId() }], true)] },
    { what: 'an oversized batch', code: 'TOO_LARGE', frames: () => [batch(Array.from({ length: 51 }, () => honest[2]), true)] },
    { what: 'a listing that never ends', code: 'TOO_LARGE', frames: () => Array.from({ length: 6 }, (_, i) => batch(Array.from({ length: 50 }, () => honest[i % 3]), false, i)) },
  ];
  let answer = cases[0].frames;
  serveHostile(mallory, () => answer());

  for (const c of cases) {
    answer = c.frames;
    const token = await ctx.server.registerAndLogin(`n${cases.indexOf(c)}`);
    const newcomer: TestPeer = newPeer('newcomer', { serverUrl: ctx.server.wsUrl, token });
    ctx.peers.push(newcomer);
    const online = waitFor(newcomer.mesh, 'status', (s) => s === 'online');
    newcomer.mesh.start();
    await online;
    const fromMallory = () => newcomer.errors.filter((e) => e.peerId === mallory.self.peerId && e.code === c.code);
    await until(ctx.peers, () => newcomer.messages.length === 3 && fromMallory().length > 0, 15_000, c.what);
    const shown = newcomer.messages.map((m) => (m.kind === 'text' ? m.text : ''));
    assert.equal([...shown].sort(), ['one', 'three', 'two'], `${c.what}: the honest texts, once each, nothing of mallory's`);
    assert.ok(newcomer.messages.every((m) => m.via?.username === 'alice' || m.via?.username === 'mallory'));
    assert.not.ok(shown.some((t) => t.includes('mallory') || t.includes('owes')), `${c.what}: never shown`);
    newcomer.mesh.stop();
  }
});

test('a peer that leaves instead of passing its images on costs only time: another passes them on', async (ctx) => {
  ctx.peers = await startPeers(ctx.server, ['alice']);
  const [alice] = ctx.peers;
  for (let i = 0; i < 2; i++) await alice.mesh.sendImage(fakePng(100_000 + i), `pic${i}.png`);
  const records = alice.messages.map((m): HistoryRecord => {
    if (m.kind !== 'image') throw new Error('images only here');
    return { kind: 'image', id: m.id, author: 'alice', device: m.device, sentAt: m.sentAt, sha256: m.sha256, mime: m.mime, size: m.bytes.byteLength, name: m.name, sig: m.sig };
  });
  const mallory = await connectPeer(ctx.server.wsUrl, await ctx.server.registerAndLogin('mallory'));
  let asked = false;
  // Lists alice's images honestly, then leaves the room when asked to pass one on.
  serveHostile(mallory, () => [batch(records, true)], () => {
    asked = true;
    void mallory.close();
  });
  const carol = newPeer('carol', { serverUrl: ctx.server.wsUrl, token: await ctx.server.registerAndLogin('carol') });
  ctx.peers.push(carol);
  carol.mesh.start();
  await until(ctx.peers, () => carol.messages.length === 2, 20_000, 'both images');
  assert.ok(asked, 'mallory was asked for an image');
  assert.ok(carol.messages.every((m) => m.via?.username === 'alice'), 'alice passed both on');
  assert.ok(carol.errors.some((e) => e.code === 'PEER_LEFT' && /history from mallory/.test(e.message)), 'reported');
});

test('a member who asks for earlier images again and again gets its share, then nothing more, and is reported once', async (ctx) => {
  const size = 200_000;
  ctx.peers = await startPeers(ctx.server, ['alice'], { historyServeLimits: { imageBytes: 2.5 * size, requests: 1 } });
  const [alice] = ctx.peers;
  await alice.mesh.sendImage(fakePng(size), 'pic.png');
  const imageId = alice.messages[0].id;
  const mallory = await connectPeer(ctx.server.wsUrl, await ctx.server.registerAndLogin('mallory'));
  ctx.cleanup.push(() => mallory.close());
  const aliceId = mallory.welcome.peers.find((p) => p.username === 'alice')!.peerId;
  const sealing = sealingFor(mallory);
  const send = (frame: Uint8Array) => mallory.ws.send(sealing.request(aliceId, frame));
  const got = { imageStarts: 0, imageEnds: 0, batches: [] as unknown[][] };
  let wake = () => {};
  let turn = Promise.resolve();
  mallory.ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) return;
    turn = turn.then(async () => {
      const { payload } = decodeRelayEnvelope(new Uint8Array(data));
      const outer = decodeFrame(await sealing.openWhenKnown(aliceId, payload));
      for (const f of outer.type === FrameType.BUNDLE ? outer.body.map((b) => decodeFrame(b)) : [outer]) {
        if (f.type === FrameType.IMAGE_START) got.imageStarts++;
        if (f.type === FrameType.IMAGE_END) got.imageEnds++;
        if (f.type === FrameType.HISTORY_BATCH) got.batches.push(f.body.records);
        // Acknowledged like an honest peer does, so nothing is sent again.
        if (f.type === FrameType.IMAGE_END || f.type === FrameType.HISTORY_BATCH) send(encodeFrame(FrameType.ACK, f.id, 0));
      }
      wake();
    });
  });
  const next = (check: () => boolean, what: string) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), 15_000);
      wake = () => check() && (clearTimeout(timer), resolve());
      wake();
    });
  const askImage = () => send(encodeFrame(FrameType.HISTORY_IMAGES, newMessageId(), 0, { ids: [imageId] }));
  const askListing = () => send(encodeFrame(FrameType.HISTORY_REQUEST, newMessageId(), 0, { have: [], since: 0 }));

  askImage();
  await next(() => got.imageEnds === 1, 'the image passed on once');
  askImage();
  await next(() => got.imageEnds === 2, 'and twice (within 2.5 images)');
  askImage();
  await until(ctx.peers, () => alice.errors.some((e) => e.code === 'RATE_LIMITED'), 15_000, 'the third ask refused and reported');
  askListing();
  await next(() => got.batches.length === 1, 'a listing');
  askListing();
  await next(() => got.batches.length === 2, 'a second listing, over its share: empty');
  // Relayed in order: anything alice sent for the third ask would have come before the listings.
  assert.is(got.imageStarts, 2, 'two images passed on, not three');
  assert.is(got.batches[0].length, 1, 'the first listing names the image');
  assert.equal(got.batches[1], [], 'the second is empty');
  assert.is(alice.errors.filter((e) => e.code === 'RATE_LIMITED').length, 1, 'reported once');
  assert.ok(alice.errors.find((e) => e.code === 'RATE_LIMITED')!.message.includes('mallory'));
});

test.run();
