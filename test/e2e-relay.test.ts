// End to end through a hostile server (issue 13): every relayed frame passes a proxy that reads,
// alters, replays, reorders and reroutes them. It reads no content, and every frame it touched is
// refused and reported (never delivered), while the real messages still arrive, once each.

import * as assert from 'uvu/assert';
import { fakePng, imagesFrom, meshSuite, startPeers, textsFrom, until, type TestPeer } from './helpers/mesh';
import { relayedSender, restamped, startHostileProxy, type HostileProxy } from './helpers/hostileProxy';
import type { MeshSuiteContext } from './helpers/mesh';
import type { PeerInfo } from '../shared/protocol';
import { generateDeviceKey } from '../shared/deviceKey';
import { generateSessionKey } from '../shared/e2e/index';

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

test('a session key the server substitutes (not signed by the device key) is refused: reported once, nothing is sealed for it or opened from it', async (ctx) => {
  const proxy = await startHostileProxy(ctx.server.wsUrl);
  ctx.cleanup.push(() => proxy.close());
  const forged = generateSessionKey(generateDeviceKey());
  // Alice is told bob's session key is one the server made (its proof signed by another key).
  proxy.onControl = (to, message) => {
    if (to.peerId === null || !('peers' in message || 'joined' in message)) return message;
    const swap = (p: PeerInfo) => (p.username === 'bob' ? { ...p, sessionKey: forged.publicKey, sessionProof: forged.proof } : p);
    if (Array.isArray(message.peers)) message.peers = (message.peers as PeerInfo[]).map(swap);
    if (Array.isArray(message.joined)) message.joined = (message.joined as PeerInfo[]).map(swap);
    return message;
  };
  const [alice] = await startPeers({ wsUrl: proxy.wsUrl, registerAndLogin: (n) => ctx.server.registerAndLogin(n) }, ['alice']);
  const [bob] = await startPeers({ wsUrl: proxy.wsUrl, registerAndLogin: (n) => ctx.server.registerAndLogin(n) }, ['bob']);
  ctx.peers.push(alice, bob);
  await until(ctx.peers, () => alice.mesh.peers().length === 1 && bob.mesh.peers().length === 1, 15_000, 'listed');
  alice.mesh.sendText('not for the server');
  bob.mesh.sendText('bob to alice');
  await until(ctx.peers, () => alice.errors.some((e) => e.incoming), 15_000, "bob's text refused at alice");
  // The key itself is reported once; each frame from bob it cannot open is refused (incoming) as well.
  const badKey = alice.errors.filter((e) => e.code === 'BAD_KEY' && !e.incoming);
  assert.is(badKey.length, 1, 'said once');
  assert.match(badKey[0].message, /nothing can be encrypted for bob: the session key of bob is not signed by their device key/);
  assert.ok(alice.errors.filter((e) => e.incoming).every((e) => e.code === 'BAD_KEY' && e.peerId === bob.mesh.self!.peerId));
  assert.equal(textsFrom(alice, bob), []);
  assert.equal(textsFrom(bob, alice), [], 'nothing sealed for a key the device did not sign');
});

test.run();
