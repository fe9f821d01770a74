import * as assert from 'uvu/assert';
import { sha256Hex } from '../shared/sha256';
import type { LinkState } from '../client/mesh/api';
import { allLinks, cutDirect, fakePng, imagesFrom, linkOf, meshSuite, newPeer, startPeers, stripCandidates, textsFrom, until, waitFor, type TestPeer } from './helpers/mesh';

const test = meshSuite('mesh fallback');

const onlyUnreachable = (p: TestPeer) => p.errors.filter((e) => e.code !== 'UNREACHABLE');

test('a pair whose direct link cannot open carries everything over the relay from the start, once, then upgrades to direct', async (ctx) => {
  let blocked = true;
  // alice <-> bob cannot connect directly; carol reaches both.
  const names = ['alice', 'bob', 'carol'];
  const filterFor = (self: string) => (to: string, data: Record<string, unknown>) => {
    const peer = ctx.peers.find((p) => p.mesh.self?.peerId === to);
    const pair = [self, peer?.name].sort().join('-');
    return blocked && pair === 'alice-bob' ? stripCandidates(data) : data;
  };
  const t0 = Date.now();
  const tokens = await Promise.all(names.map((n) => ctx.server.registerAndLogin(n)));
  ctx.peers = names.map((n, i) => newPeer(n, { serverUrl: ctx.server.wsUrl, token: tokens[i], filterSignal: filterFor(n) }));
  await Promise.all(ctx.peers.map((p) => { const w = waitFor(p.mesh, 'status', (s) => s === 'online'); p.mesh.start(); return w; }));
  const [alice, bob, carol] = ctx.peers;
  const seen: LinkState[] = [];
  alice.mesh.on('peers', (list) => {
    const l = list.find((p) => p.username === 'bob')?.link;
    if (l && seen[seen.length - 1] !== l) seen.push(l);
  });
  // Sent the moment the peer is known: the relay carries it while the direct attempt runs.
  await until(ctx.peers, () => ctx.peers.every((p) => p.mesh.peers().length === 2), 20_000, 'presence');
  alice.mesh.sendText('early 1');
  await until(ctx.peers, () => linkOf(alice, bob) === 'relay' && linkOf(bob, alice) === 'relay', 30_000, 'alice-bob relay');
  console.log(`    alice-bob on the relay ${Date.now() - t0} ms after the start (relay first)`);
  await until(ctx.peers, () => ctx.peers.every((a) => ctx.peers.every((b) => a === b || (a.name + b.name).includes('alice') && (a.name + b.name).includes('bob') || linkOf(a, b) === 'direct')), 30_000, 'others direct');

  for (let i = 0; i < 20; i++) for (const p of ctx.peers) p.mesh.sendText(`${p.name} ${i}`);
  const image = fakePng(1024 * 1024 + 5);
  const own = await alice.mesh.sendImage(image, 'a.png');
  await until(ctx.peers, () => textsFrom(bob, alice).length === 21 && imagesFrom(bob, alice).length === 1 && textsFrom(alice, bob).length === 20 && textsFrom(carol, alice).length === 21, 30_000, 'delivery over relay').catch((e) => {
    console.log(textsFrom(bob, alice).length, imagesFrom(bob, alice).length, textsFrom(alice, bob).length, textsFrom(carol, alice).length, alice.errors, bob.errors, alice.mesh.peers(), bob.mesh.peers());
    throw e;
  });
  assert.equal(textsFrom(bob, alice), ['early 1', ...Array.from({ length: 20 }, (_, i) => `alice ${i}`)]);
  assert.equal(textsFrom(alice, bob), Array.from({ length: 20 }, (_, i) => `bob ${i}`));
  const [img] = imagesFrom(bob, alice);
  assert.ok(img.kind === 'image' && sha256Hex(img.bytes) === own.sha256);

  const t1 = Date.now();
  blocked = false;
  await allLinks(ctx.peers, 'direct', 30_000);
  console.log(`    upgraded back to direct ${Date.now() - t1} ms after direct was allowed again`);
  for (let i = 20; i < 40; i++) for (const p of ctx.peers) p.mesh.sendText(`${p.name} ${i}`);
  await until(ctx.peers, () => ctx.peers.every((a) => ctx.peers.every((b) => a === b || textsFrom(a, b).length >= 40)), 30_000, 'texts after upgrade');
  await new Promise((r) => setImmediate(r));
  assert.equal(textsFrom(bob, alice), ['early 1', ...Array.from({ length: 40 }, (_, i) => `alice ${i}`)]);
  for (const a of ctx.peers) for (const b of ctx.peers) if (a !== b && a !== alice && b !== alice) assert.equal(textsFrom(a, b), Array.from({ length: 40 }, (_, i) => `${b.name} ${i}`));
  assert.equal(seen.slice(0, 2), ['relay', 'direct'], 'relay from the first list, never connecting');
  for (const p of ctx.peers) assert.equal(onlyUnreachable(p), [], `${p.name} errors`);
});

test('a direct link cut silently in the middle of a 5 MiB image: the image arrives via relay, intact, once', async (ctx) => {
  ctx.peers = await startPeers(ctx.server, ['dora', 'eve', 'finn']);
  await allLinks(ctx.peers, 'direct');
  const [dora, eve, finn] = ctx.peers;
  const image = fakePng(5 * 1024 * 1024);
  let cutAt = 0;
  eve.mesh.on('progress', (p) => {
    if (!cutAt && p.direction === 'receive' && p.bytes >= 1024 * 1024) {
      cutAt = Date.now();
      cutDirect(dora, eve);
    }
  });
  const own = await dora.mesh.sendImage(image, 'cut.png');
  dora.mesh.sendText('after the image');
  await until(ctx.peers, () => linkOf(dora, eve) === 'relay', 30_000, 'dora-eve relay');
  console.log(`    cut noticed after ${Date.now() - cutAt} ms`);
  await until(ctx.peers, () => imagesFrom(eve, dora).length === 1 && imagesFrom(finn, dora).length === 1 && textsFrom(eve, dora).length === 1, 60_000, 'image after the cut');
  console.log(`    image complete ${Date.now() - cutAt} ms after the cut`);
  const [img] = imagesFrom(eve, dora);
  assert.ok(img.kind === 'image' && sha256Hex(img.bytes) === own.sha256, 'intact');
  assert.ok(cutAt > 0, 'the cut happened mid-transfer');
  await allLinks(ctx.peers, 'direct', 30_000);
  dora.mesh.sendText('direct again');
  await until(ctx.peers, () => textsFrom(eve, dora).length === 2, 20_000, 'text after upgrade');
  assert.equal(textsFrom(eve, dora), ['after the image', 'direct again']);
  assert.is(imagesFrom(eve, dora).length, 1, 'exactly once');
  for (const p of ctx.peers) assert.equal(onlyUnreachable(p), [], `${p.name} errors`);
});

test.run();
