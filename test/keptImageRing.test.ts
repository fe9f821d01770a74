// The ring of kept images (client/mesh/keptImageRing.ts): copies in, copies out, overwrites the
// oldest when it comes round, and says which images it let go.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HistoryKeeper } from '../client/mesh/historyKeeper';
import { KeptImageRing } from '../client/mesh/keptImageRing';

const bytesOf = (size: number, seed: number) => Uint8Array.from({ length: size }, (_, i) => (i * 31 + seed) & 0xff);
const load = (kept: unknown) => (kept as () => Promise<Uint8Array>)();

test('an image comes back as a copy of what was kept, even after the caller changes its own bytes', async () => {
  const ring = new KeptImageRing(1000);
  const original = bytesOf(300, 1);
  const kept = ring.keep('a', original, () => assert.unreachable('nothing was overwritten'));
  assert.type(kept, 'function');
  original.fill(0);
  const out = await load(kept);
  assert.equal([...out], [...bytesOf(300, 1)]);
  out.fill(9);
  assert.equal([...(await load(kept))], [...bytesOf(300, 1)], 'each load is a copy of its own');
});

test('going round, the ring overwrites the oldest images and says so; the others stay intact', async () => {
  const ring = new KeptImageRing(1000);
  const lost: string[] = [];
  const kept = ['a', 'b', 'c'].map((id, i) => ring.keep(id, bytesOf(300, i), () => lost.push(id)));
  assert.equal(lost, []);
  // 900 bytes used: a 300-byte image does not fit the last 100, so it goes to the start, over 'a'.
  const d = ring.keep('d', bytesOf(300, 3), () => lost.push('d'));
  assert.equal(lost, ['a']);
  assert.is(await load(kept[0]).then(() => 'loaded', () => 'refused'), 'refused', "'a' is gone");
  assert.equal([...(await load(kept[1]))], [...bytesOf(300, 1)]);
  assert.equal([...(await load(kept[2]))], [...bytesOf(300, 2)]);
  assert.equal([...(await load(d))], [...bytesOf(300, 3)]);
  // A bigger one spans 'b' and 'c'.
  ring.keep('e', bytesOf(500, 4), () => lost.push('e'));
  assert.equal(lost, ['a', 'b', 'c']);
  assert.equal([...(await load(d))], [...bytesOf(300, 3)], "'d' is before it and stays");
});

test('at most slotsMax images are held; the oldest beyond it is let go', () => {
  const ring = new KeptImageRing(10_000, 3);
  const lost: string[] = [];
  for (const id of ['a', 'b', 'c', 'd', 'e']) ring.keep(id, bytesOf(10, 0), () => lost.push(id));
  assert.equal(lost, ['a', 'b']);
});

test('an image larger than the whole ring is kept by reference', () => {
  const ring = new KeptImageRing(100);
  const big = bytesOf(200, 0);
  assert.is(ring.keep('a', big, () => undefined), big);
});

test('the keeper stops offering an image the ring overwrote, and serves the others from it', async () => {
  const keeper = new HistoryKeeper();
  const ring = new KeptImageRing(1000);
  const record = (id: string, sentAt: number, size: number) => ({ kind: 'image' as const, id, author: 'ann', device: 'k'.repeat(43), sentAt, sig: 'A'.repeat(86), sha256: 'f'.repeat(64), mime: 'image/png' as const, size, name: `${id}.png` });
  for (const [i, id] of ['a', 'b', 'c', 'd'].entries()) {
    const bytes = bytesOf(300, i);
    keeper.add({ id, sentAt: i + 1, record: record(id, i + 1, 300), bytes: ring.keep(id, bytes, () => keeper.dropBytes(id)) });
  }
  assert.equal(keeper.serve(new Set(), 0).map((r) => r.id), ['b', 'c', 'd'], "'a' went round");
  assert.is(await keeper.image('a'), null);
  assert.equal([...(await keeper.image('c'))!.bytes], [...bytesOf(300, 2)]);
});

test.run();
