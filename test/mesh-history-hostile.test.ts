// A hostile peer serving history: an altered text, a text signed by a key that is not its author's,
// a replay under a new id, an oversized batch, a listing that never ends. Each is refused and
// reported (never shown), and the newcomer's sync completes from the honest peer beside it.

import * as assert from 'uvu/assert';
import { decodeFrame, encodeFrame, FrameType, newMessageId, type Frame } from '../shared/frames';
import { decodeRelayEnvelope, encodeRelayRequest } from '../shared/relayEnvelope';
import type { HistoryRecord } from '../shared/historyRecord';
import { signContentText } from '../shared/contentRecord';
import type { ErrorCode } from '../shared/errors';
import type { ChatMessage } from '../client/mesh/api';
import { fakePng, meshSuite, newPeer, startPeers, until, waitFor, type TestPeer } from './helpers/mesh';
import { connectPeer, type OnlineSocket } from './helpers/ws';

const test = meshSuite('mesh history from a hostile peer');

const recordOf = (m: ChatMessage): HistoryRecord => {
  if (m.kind !== 'text') throw new Error('texts only here');
  return { kind: 'text', id: m.id, author: m.from.username, device: m.device, sentAt: m.sentAt, text: m.text, sig: m.sig };
};

/** Answers every history request it gets over the relay with `answer(requester)` (frames to send back). */
function serveHostile(socket: OnlineSocket, answer: () => Uint8Array[], onImagesAsked?: () => void): void {
  socket.ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (!isBinary) return;
    const { peerId, payload } = decodeRelayEnvelope(new Uint8Array(data));
    const outer = decodeFrame(payload);
    const frames: Frame[] = outer.type === FrameType.BUNDLE ? outer.body.map((b) => decodeFrame(b)) : [outer];
    for (const f of frames) {
      if (f.type === FrameType.HISTORY_IMAGES) onImagesAsked?.();
      if (f.type !== FrameType.HISTORY_REQUEST) continue;
      const send = (frame: Uint8Array) => socket.ws.send(encodeRelayRequest([peerId], frame));
      send(encodeFrame(FrameType.ACK, f.id, 0));
      for (const frame of answer()) send(frame);
    }
  });
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

test.run();
