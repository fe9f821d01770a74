import * as assert from 'uvu/assert';
import { sha256Hex } from '../shared/sha256';
import type { MeshOptions } from '../client/mesh/api';
import { meshSuite, type MeshSuiteContext, allLinks, fakePng, imagesFrom, startPeers, textsFrom, until } from './helpers/mesh';

const test = meshSuite('mesh full mesh');

async function fullMesh(ctx: MeshSuiteContext, n: number, options: Partial<MeshOptions> = {}) {
  const names = Array.from({ length: n }, (_, i) => `user${i}`);
  const t0 = Date.now();
  ctx.peers = await startPeers(ctx.server, names, options);
  await allLinks(ctx.peers, 'direct', 60_000);
  console.log(`    ${n} peers: full mesh direct in ${Date.now() - t0} ms`);
  const peers = ctx.peers;
  for (const p of peers) p.mesh.sendText(`hello from ${p.name}`);
  for (const p of peers) p.mesh.sendText(`bye from ${p.name}`);
  await until(peers, () => peers.every((a) => peers.every((b) => a === b || textsFrom(a, b).length === 2)), 30_000, 'texts');
  for (const a of peers) for (const b of peers) if (a !== b) assert.equal(textsFrom(a, b), [`hello from ${b.name}`, `bye from ${b.name}`]);

  const image = fakePng(5 * 1024 * 1024);
  const sender = peers[0];
  const t1 = Date.now();
  const own = await sender.mesh.sendImage(image, 'big.png');
  assert.is(own.sha256, sha256Hex(image));
  await until(peers, () => peers.slice(1).every((p) => imagesFrom(p, sender).length === 1), 120_000, 'image everywhere');
  console.log(`    ${n} peers: 5 MiB image to ${n - 1} peers in ${Date.now() - t1} ms`);
  for (const p of peers.slice(1)) {
    const [m] = imagesFrom(p, sender);
    assert.ok(m.kind === 'image' && m.mime === 'image/png' && m.sha256 === own.sha256 && m.name === 'big.png');
    assert.ok(m.kind === 'image' && sha256Hex(m.bytes) === own.sha256, 'bytes intact');
  }
  // The sender learns of each arrival from an ack, a moment after the receiver delivered.
  await until(peers, () => sender.progress.filter((p) => p.direction === 'send' && p.done && p.messageId === own.id).length === n - 1, 30_000, 'acks');
  assert.ok(peers[1].progress.some((p) => p.direction === 'receive' && p.bytesPerSecond > 0));
  // On a loaded machine a heartbeat may time out and a pair fall back for a while (UNREACHABLE is
  // reported then); delivery above is what must hold. Anything else is a bug.
  for (const p of peers) {
    const unexpected = p.errors.filter((e) => e.code !== 'UNREACHABLE');
    if (p.errors.length) console.log(`    ${p.name}: ${p.errors.map((e) => e.message).join('; ')}`);
    assert.equal(unexpected, [], `${p.name} had no errors`);
  }
}

// Images hashed with WebCrypto at the end (as in a browser) here, with node:crypto chunk by chunk (as the CLI does) below.
test('3 peers: all direct, texts in order and a 5 MiB image reach everyone intact', (ctx) => fullMesh(ctx, 3, { sha256: undefined }));
test('8 peers: all direct, texts in order and a 5 MiB image reach everyone intact', (ctx) => fullMesh(ctx, 8));

test.run();
