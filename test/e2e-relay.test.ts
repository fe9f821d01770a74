// End to end through a hostile server (issue 13): every relayed frame passes a proxy that reads,
// alters, replays, reorders and reroutes them. It reads no content, and every frame it touched is
// refused and reported (never delivered), while the real messages still arrive, once each.

import * as assert from 'uvu/assert';
import { fakePng, imagesFrom, meshSuite, startPeers, textsFrom, until, type TestPeer } from './helpers/mesh';
import { relayedSender, restamped, startHostileProxy, type HostileProxy } from './helpers/hostileProxy';
import type { MeshSuiteContext } from './helpers/mesh';

const test = meshSuite('e2e relay through a hostile server', { relay: 'force' });

async function roomBehind(ctx: MeshSuiteContext, names: string[]): Promise<{ proxy: HostileProxy; peers: TestPeer[] }> {
  const proxy = await startHostileProxy(ctx.server.wsUrl);
  ctx.cleanup.push(() => proxy.close());
  const peers = await startPeers({ wsUrl: proxy.wsUrl, registerAndLogin: (n) => ctx.server.registerAndLogin(n) }, names);
  ctx.peers.push(...peers);
  await until(peers, () => peers.every((p) => p.mesh.peers().length === names.length - 1), 15_000, 'everyone listed');
  return { proxy, peers };
}

const idOf = (p: TestPeer) => p.mesh.self!.peerId;
const contains = (haystack: Uint8Array, needle: Uint8Array) => Buffer.from(haystack).indexOf(Buffer.from(needle)) >= 0;

test('the server relays a text and a fanned-out image and reads neither', async (ctx) => {
  const { proxy, peers } = await roomBehind(ctx, ['alice', 'bob', 'carol']);
  const [alice, bob, carol] = peers;
  const secret = 'meet at the north door at noon';
  alice.mesh.sendText(secret);
  const image = fakePng(300_000);
  await alice.mesh.sendImage(image, 'plan.png');
  await until(peers, () => [bob, carol].every((p) => textsFrom(p, alice).length === 1 && imagesFrom(p, alice).length === 1), 15_000, 'text and image at bob and carol');
  assert.equal(textsFrom(bob, alice), [secret]);
  assert.equal((imagesFrom(carol, alice)[0] as { bytes: Uint8Array }).bytes, image);
  const fromAlice = proxy.relayed.filter((f) => relayedSender(f) === idOf(alice));
  assert.ok(fromAlice.length > 0, 'the relay carried them');
  const words = new TextEncoder().encode('north door');
  // Any 32 bytes of the image's random middle, and the file name, would show in a readable copy.
  const samples = [image.subarray(1000, 1032), image.subarray(150_000, 150_032), new TextEncoder().encode('plan.png')];
  assert.not.ok(fromAlice.some((f) => contains(f, words) || samples.some((s) => contains(f, s))), 'no content readable at the server');
});

test('an altered frame is refused and reported; the message still arrives, once and unaltered', async (ctx) => {
  const { proxy, peers } = await roomBehind(ctx, ['alice', 'bob']);
  const [alice, bob] = peers;
  let altered = 0;
  proxy.onRelay = (to, frame) => {
    if (to.peerId !== idOf(bob) || altered > 0) return 'pass';
    altered++;
    const out = frame.slice();
    out[out.length - 40] ^= 0x20; // inside the content or the wrap
    return out;
  };
  alice.mesh.sendText('unaltered, please');
  await until(peers, () => textsFrom(bob, alice).length === 1, 20_000, 'the re-sent text');
  assert.is(altered, 1);
  assert.equal(textsFrom(bob, alice), ['unaltered, please']);
  const refused = bob.errors.filter((e) => e.incoming && e.peerId === idOf(alice));
  assert.equal(refused.map((e) => e.code), ['SEALED_ALTERED']);
});

test('a replayed frame and a frame held back and delivered late are refused and reported; nothing is delivered twice', async (ctx) => {
  const { proxy, peers } = await roomBehind(ctx, ['alice', 'bob']);
  const [alice, bob] = peers;
  const seen: Uint8Array[] = [];
  let held: Uint8Array | null = null;
  proxy.onRelay = (to, frame) => {
    if (to.peerId !== idOf(bob) || relayedSender(frame) !== idOf(alice)) return 'pass';
    seen.push(frame.slice());
    // The first frame of the second text is held back; it goes to bob after the third text's.
    if (seen.length === 2 && !held) {
      held = frame.slice();
      return 'drop';
    }
    return 'pass';
  };
  alice.mesh.sendText('one');
  await until(peers, () => textsFrom(bob, alice).length === 1, 15_000, 'one');
  alice.mesh.sendText('two');
  alice.mesh.sendText('three');
  await until(peers, () => seen.length >= 3, 15_000, 'three frames');
  const bobClient = proxy.client(idOf(bob));
  bobClient.toClient(held!); // reordered: its counter is below one already opened
  bobClient.toClient(seen[0]); // replayed
  await until(peers, () => textsFrom(bob, alice).length === 3 && bob.errors.filter((e) => e.code === 'SEALED_REPLAYED').length === 2, 20_000, 'all three, two refusals');
  assert.equal(textsFrom(bob, alice), ['one', 'two', 'three']);
  assert.ok(bob.errors.every((e) => e.code === 'SEALED_REPLAYED' && e.incoming && e.peerId === idOf(alice)), JSON.stringify(bob.errors));
});

test('a frame rerouted to another receiver, or stamped with another sender, is refused and reported', async (ctx) => {
  const { proxy, peers } = await roomBehind(ctx, ['alice', 'bob', 'carol']);
  const [alice, bob, carol] = peers;
  const toBob: Uint8Array[] = [];
  proxy.onRelay = (to, frame) => {
    if (to.peerId === idOf(bob) && relayedSender(frame) === idOf(alice)) toBob.push(frame.slice());
    return 'pass';
  };
  alice.mesh.sendText('for everyone');
  await until(peers, () => textsFrom(bob, alice).length === 1 && textsFrom(carol, alice).length === 1 && toBob.length > 0, 15_000, 'delivered');
  // Alice's frame for bob, given to carol as from alice; and given to bob as from carol.
  proxy.client(idOf(carol)).toClient(toBob[0]);
  proxy.client(idOf(bob)).toClient(restamped(toBob[0], idOf(carol)));
  await until(peers, () => carol.errors.length > 0 && bob.errors.length > 0, 15_000, 'refusals');
  assert.is(carol.errors[0].code, 'SEALED_MISROUTED');
  assert.is(carol.errors[0].peerId, idOf(alice));
  assert.is(bob.errors[0].code, 'SEALED_MISROUTED');
  assert.is(bob.errors[0].peerId, idOf(carol));
  assert.equal(textsFrom(carol, alice), ['for everyone']);
  assert.equal(textsFrom(bob, carol), []);
});

test.run();
