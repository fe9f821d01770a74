import * as assert from 'uvu/assert';
import { sha256Hex } from '../shared/sha256';
import { allLinks, fakePng, imagesFrom, linkOf, meshSuite, newPeer, startPeers, stripCandidates, textsFrom, until, waitFor } from './helpers/mesh';

const test = meshSuite('mesh leave');

test('a peer leaving mid-transfer aborts that transfer only; the others get the image', async (ctx) => {
  ctx.peers = await startPeers(ctx.server, ['gus', 'hal', 'ivy']);
  await allLinks(ctx.peers, 'direct');
  const [gus, hal, ivy] = ctx.peers;
  const ivyId = ivy.mesh.self!.peerId;
  ivy.mesh.on('progress', (p) => {
    if (p.direction === 'receive' && p.bytes >= 512 * 1024 && ivy.mesh.status !== 'stopped') ivy.mesh.stop();
  });
  const own = await gus.mesh.sendImage(fakePng(5 * 1024 * 1024), 'leave.png');
  // hal's ACK (which completes gus's transfer to hal) crosses the link just after hal delivers it.
  const doneToHal = () => gus.progress.some((p) => p.peerId === hal.mesh.self!.peerId && p.done);
  await until(ctx.peers, () => imagesFrom(hal, gus).length === 1 && gus.errors.some((e) => e.code === 'PEER_LEFT') && doneToHal(), 60_000, 'image at hal, PEER_LEFT at gus');
  const [img] = imagesFrom(hal, gus);
  assert.ok(img.kind === 'image' && sha256Hex(img.bytes) === own.sha256);
  const left = gus.errors.filter((e) => e.code === 'PEER_LEFT');
  assert.equal(left.map((e) => [e.peerId, e.messageId]), [[ivyId, own.id]]);
  assert.is(imagesFrom(ivy, gus).length, 0);
  await until(ctx.peers, () => gus.mesh.peers().length === 1 && hal.mesh.peers().length === 1, 20_000, 'ivy gone from the room');
  assert.ok(doneToHal(), 'the transfer to hal completed');
});

const noRelay = meshSuite('mesh relay off', { relay: 'off' });

noRelay('relay off: a pair that cannot connect directly shows unreachable, then delivers once direct works', async (ctx) => {
  let blocked = true;
  const tokens = await Promise.all(['jon', 'kim'].map((n) => ctx.server.registerAndLogin(n)));
  ctx.peers = ['jon', 'kim'].map((n, i) => newPeer(n, { serverUrl: ctx.server.wsUrl, token: tokens[i], filterSignal: (_to, data) => (blocked ? stripCandidates(data) : data) }));
  await Promise.all(ctx.peers.map((p) => { const w = waitFor(p.mesh, 'status', (s) => s === 'online'); p.mesh.start(); return w; }));
  const [jon, kim] = ctx.peers;
  await until(ctx.peers, () => jon.mesh.peers().length === 1 && kim.mesh.peers().length === 1, 20_000, 'presence');
  jon.mesh.sendText('waiting for a path');
  await until(ctx.peers, () => linkOf(jon, kim) === 'unreachable' && linkOf(kim, jon) === 'unreachable', 30_000, 'unreachable');
  assert.is(textsFrom(kim, jon).length, 0);
  blocked = false;
  await allLinks(ctx.peers, 'direct', 30_000);
  await until(ctx.peers, () => textsFrom(kim, jon).length === 1, 20_000, 'text after direct');
  assert.equal(textsFrom(kim, jon), ['waiting for a path']);
});

test.run();
noRelay.run();
