// History from peers, with real peers: a newcomer gets the room's recent texts and images from the
// peers online (signed by their authors, verified, in the room's order, once), and one who comes
// back gets exactly what was said while away.

import * as assert from 'uvu/assert';
import type { ChatMessage, ImageMessage, KeptEntry, MeshOptions } from '../client/mesh/api';
import { KeptImageRing } from '../client/mesh/keptImageRing';
import { fakePng, meshSuite, newPeer, startPeers, until, waitFor, type TestPeer } from './helpers/mesh';

const test = meshSuite('mesh history from peers');

const texts = (p: TestPeer) => p.messages.filter((m) => m.kind === 'text').map((m) => (m.kind === 'text' ? m.text : ''));
const roomOrder = (a: ChatMessage, b: ChatMessage) => a.sentAt - b.sentAt || (a.id < b.id ? -1 : 1);

async function join(ctx: { server: { wsUrl: string; registerAndLogin(n: string): Promise<string> }; peers: TestPeer[] }, name: string, token?: string, keptHistory?: () => Promise<KeptEntry[]>, more: Partial<MeshOptions> = {}): Promise<TestPeer> {
  const peer = newPeer(name, { serverUrl: ctx.server.wsUrl, token: token ?? (await ctx.server.registerAndLogin(name)), keptHistory, ...more });
  ctx.peers.push(peer);
  const online = waitFor(peer.mesh, 'status', (s) => s === 'online', 15_000, `${name} online`);
  peer.mesh.start();
  await online;
  return peer;
}

test('a newcomer gets the texts and images said before it joined, verified, in order, once, marked as earlier', async (ctx) => {
  ctx.peers = await startPeers(ctx.server, ['alice', 'bob']);
  const [alice, bob] = ctx.peers;
  await until(ctx.peers, () => alice.mesh.peers().length === 1 && bob.mesh.peers().length === 1, 15_000, 'pair');
  const said: string[] = [];
  for (let i = 0; i < 10; i++) {
    const who = i % 2 ? bob : alice;
    said.push(`${who.name} ${i}`);
    who.mesh.sendText(`${who.name} ${i}`);
  }
  const image = await alice.mesh.sendImage(fakePng(300_000), 'cat.png');
  await until(ctx.peers, () => bob.messages.length === 11 && alice.messages.length === 11, 20_000, 'talk delivered');

  const carol = await join(ctx, 'carol');
  await until(ctx.peers, () => carol.messages.length === 11, 20_000, "carol's backfill");
  const textsInRoomOrder = (messages: ChatMessage[]) => [...messages].sort(roomOrder).flatMap((m) => (m.kind === 'text' ? [m.text] : []));
  // Two authors' texts sent within the same millisecond have no order but the room's tie-break (id).
  assert.equal(textsInRoomOrder(carol.messages), textsInRoomOrder(alice.messages), 'every text, in the room order');
  assert.equal(textsInRoomOrder(carol.messages).sort(), [...said].sort());
  const got = carol.messages.find((m) => m.id === image.id);
  assert.ok(got?.kind === 'image' && got.sha256 === image.sha256 && got.bytes.byteLength === 300_000, 'the image, verified');
  for (const m of carol.messages) {
    const original = alice.messages.find((x) => x.id === m.id)!;
    assert.is(m.sentAt, original.sentAt, 'original time');
    assert.is(m.from.username, original.from.username, 'original author');
    assert.ok(m.via, 'marked as passed on');
    assert.not.ok(m.own);
  }
  assert.is(new Set(carol.messages.map((m) => m.id)).size, 11, 'nothing twice');
  assert.equal(carol.errors.filter((e) => e.incoming), [], 'no refusals from honest peers');

  // Live talk after the sync is not duplicated either.
  alice.mesh.sendText('welcome carol');
  await until(ctx.peers, () => texts(carol).includes('welcome carol'), 15_000, 'live text');
  assert.is(texts(carol).filter((t) => t === 'welcome carol').length, 1);
});

test('images are spread over the peers that have them', async (ctx) => {
  ctx.peers = await startPeers(ctx.server, ['alice', 'bob']);
  const [alice, bob] = ctx.peers;
  await until(ctx.peers, () => alice.mesh.peers().length === 1 && bob.mesh.peers().length === 1, 15_000, 'pair');
  const images = [];
  for (let i = 0; i < 4; i++) images.push(await (i % 2 ? bob : alice).mesh.sendImage(fakePng(1024 * 1024 + i), `big${i}.png`));
  await until(ctx.peers, () => alice.messages.length === 4 && bob.messages.length === 4, 30_000, 'images everywhere');

  const carol = await join(ctx, 'carol');
  await until(ctx.peers, () => carol.messages.length === 4, 30_000, "carol's images");
  const via = carol.messages.map((m) => m.via?.username);
  assert.equal(via.filter((v) => v === 'alice').length, 2, 'two from alice');
  assert.equal(via.filter((v) => v === 'bob').length, 2, 'two from bob');
  for (const image of images) {
    const got = carol.messages.find((m) => m.id === image.id);
    assert.ok(got?.kind === 'image' && got.sha256 === image.sha256, `${image.name} complete and verified`);
  }
});

test('peers keeping images in a ring (the CLI) pass on what it still holds, verified, and not what it overwrote', async (ctx) => {
  // Room for two of these images: the third (a little smaller) goes round over the first only.
  const ring = { keptImages: new KeptImageRing(2_500_000) };
  const alice = await join(ctx, 'alice', undefined, undefined, ring);
  const bob = await join(ctx, 'bob', undefined, undefined, { keptImages: new KeptImageRing(2_500_000) });
  await until(ctx.peers, () => alice.mesh.peers().length === 1 && bob.mesh.peers().length === 1, 15_000, 'pair');
  const images: ImageMessage[] = [];
  for (let i = 0; i < 3; i++) images.push(await alice.mesh.sendImage(fakePng(1_000_000 - i), `photo${i}.png`));
  bob.mesh.sendText('nice ones');
  await until(ctx.peers, () => alice.messages.length === 4 && bob.messages.length === 4, 30_000, 'images and text everywhere');

  const carol = await join(ctx, 'carol');
  await until(ctx.peers, () => carol.messages.length === 3, 30_000, "carol's backfill");
  assert.equal(texts(carol), ['nice ones']);
  for (const image of images.slice(1)) {
    const got = carol.messages.find((m) => m.id === image.id);
    assert.ok(got?.kind === 'image' && got.sha256 === image.sha256 && got.bytes.byteLength === image.bytes.byteLength, `${image.name} from the ring, verified`);
  }
  alice.mesh.sendText('welcome carol');
  await until(ctx.peers, () => texts(carol).includes('welcome carol'), 15_000, 'live text');
  assert.not.ok(carol.messages.some((m) => m.id === images[0].id), 'the overwritten one is not offered');
  assert.equal(carol.errors, [], 'no refusals, no aborted transfers');
  // The senders' own copies are theirs: the ring copied what it keeps.
  assert.is(alice.messages.filter((m) => m.kind === 'image').length, 3);
});

test('one who comes back gets exactly what was said while away, after what it kept', async (ctx) => {
  ctx.peers = await startPeers(ctx.server, ['alice']);
  const [alice] = ctx.peers;
  const bobToken = await ctx.server.registerAndLogin('bob');
  const bob = await join(ctx, 'bob', bobToken);
  await until(ctx.peers, () => alice.mesh.peers().length === 1 && bob.mesh.peers().length === 1, 15_000, 'pair');
  alice.mesh.sendText('before lunch');
  bob.mesh.sendText('see you');
  await until(ctx.peers, () => bob.messages.length === 2 && alice.messages.length === 2, 15_000, 'before lunch');
  // What bob's page would have kept (IndexedDB): the messages it showed.
  const kept: KeptEntry[] = bob.messages.map((m) => ({ id: m.id, sentAt: m.sentAt, record: m.kind === 'text' ? { kind: 'text', id: m.id, author: m.from.username, device: m.device, sentAt: m.sentAt, text: m.text, sig: m.sig } : null }));
  bob.mesh.stop();
  await until(ctx.peers, () => alice.mesh.peers().length === 0, 15_000, 'bob gone');

  for (let i = 1; i <= 5; i++) alice.mesh.sendText(`while away ${i}`);
  const back = await join(ctx, 'bob-again', bobToken, async () => kept);
  await until(ctx.peers, () => back.messages.length === 5, 15_000, 'what bob missed');
  assert.equal(texts(back), ['while away 1', 'while away 2', 'while away 3', 'while away 4', 'while away 5'], 'exactly those, once, in order');
});

test('a newcomer alone in the room gets history from the first peer who joins after it', async (ctx) => {
  const aliceToken = await ctx.server.registerAndLogin('alice');
  ctx.peers = await startPeers(ctx.server, ['dave']);
  const alice = await join(ctx, 'alice', aliceToken);
  await until(ctx.peers, () => alice.mesh.peers().length === 1, 15_000, 'pair');
  alice.mesh.sendText('said to dave');
  await until(ctx.peers, () => ctx.peers[0].messages.length === 1, 15_000, 'dave got it');
  const kept: KeptEntry[] = alice.messages.map((m) => ({ id: m.id, sentAt: m.sentAt, record: m.kind === 'text' ? { kind: 'text', id: m.id, author: m.from.username, device: m.device, sentAt: m.sentAt, text: m.text, sig: m.sig } : null }));
  alice.mesh.stop();
  ctx.peers[0].mesh.stop();

  const carol = await join(ctx, 'carol');
  assert.is(carol.mesh.peers().length, 0, 'alone');
  // alice's page comes back with what it kept: carol's open sync asks her.
  await join(ctx, 'alice-back', aliceToken, async () => kept);
  await until(ctx.peers, () => texts(carol).includes('said to dave'), 15_000, 'history from the later peer');
  assert.is(carol.messages[0].via?.username, 'alice');
});

test.run();
