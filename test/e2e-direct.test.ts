// Direct links bound to device keys (issue 13): a server that swaps the DTLS fingerprints in the
// SDPs it passes on, to sit in the middle of a WebRTC link, is detected: the link is refused with a
// clear error before any connection is made, and the pair stays on the relay, still encrypted.

import * as assert from 'uvu/assert';
import { meshSuite, startPeers, textsFrom, until, type TestPeer } from './helpers/mesh';
import { relayedSender, startHostileProxy } from './helpers/hostileProxy';

const test = meshSuite('e2e direct links through a hostile server');

const idOf = (p: TestPeer) => p.mesh.self!.peerId;
const phases = (p: TestPeer) => (p.mesh as unknown as { directLinks(): { phases: Record<string, string> } }).directLinks().phases;

/** The SDP's fingerprint replaced by another of the same form, as a server substituting its own DTLS key would. */
function swapFingerprint(data: Record<string, unknown>): Record<string, unknown> {
  const signal = data.signal as { sdp?: string } | undefined;
  if (!signal?.sdp) return data;
  const sdp = signal.sdp.replace(/(a=fingerprint:\S+ )([0-9A-Fa-f]{2})/g, (_, head: string, first: string) => head + (first === 'AA' ? 'BB' : 'AA'));
  return { ...data, signal: { ...signal, sdp } };
}

test('honest server: the pair goes direct (the signatures verify)', async (ctx) => {
  const proxy = await startHostileProxy(ctx.server.wsUrl);
  ctx.cleanup.push(() => proxy.close());
  ctx.peers = await startPeers({ wsUrl: proxy.wsUrl, registerAndLogin: (n) => ctx.server.registerAndLogin(n) }, ['alice', 'bob']);
  const [alice, bob] = ctx.peers;
  await until(ctx.peers, () => alice.mesh.peers()[0]?.link === 'direct' && bob.mesh.peers()[0]?.link === 'direct', 15_000, 'direct');
  assert.equal([...alice.errors, ...bob.errors], []);
});

test('swapped SDP fingerprints: the link is refused with a clear error, the pair stays on the relay and its messages are sealed', async (ctx) => {
  const proxy = await startHostileProxy(ctx.server.wsUrl);
  ctx.cleanup.push(() => proxy.close());
  let swapped = 0;
  proxy.onSignal = (_to, _from, data) => {
    const out = swapFingerprint(data);
    if (out !== data) swapped++;
    return out;
  };
  ctx.peers = await startPeers({ wsUrl: proxy.wsUrl, registerAndLogin: (n) => ctx.server.registerAndLogin(n) }, ['alice', 'bob']);
  const [alice, bob] = ctx.peers;
  const refusals = () => [...alice.errors, ...bob.errors].filter((e) => e.code === 'DIRECT_LINK_UNVERIFIED');
  // The initiator retries (retryFirstMs 500 ms here): wait for two refused attempts.
  await until(ctx.peers, () => refusals().length >= 2, 15_000, 'two refused attempts');
  assert.ok(swapped >= 2);
  const first = refusals()[0];
  assert.match(first.message, /direct link to (alice|bob) refused: the DTLS fingerprint of its (offer|answer) is not signed by (alice|bob)'s device key/);
  assert.ok(first.peerId === idOf(alice) || first.peerId === idOf(bob));
  assert.not.ok(Object.values(phases(alice)).includes('up') || Object.values(phases(bob)).includes('up'), 'never direct');
  assert.is(alice.mesh.peers()[0].link, 'relay');
  assert.is(bob.mesh.peers()[0].link, 'relay');
  alice.mesh.sendText('still private on the relay');
  await until(ctx.peers, () => textsFrom(bob, alice).length === 1, 15_000, 'text over the relay');
  const words = new TextEncoder().encode('still private');
  assert.not.ok(proxy.relayed.some((f) => relayedSender(f) === idOf(alice) && Buffer.from(f).indexOf(Buffer.from(words)) >= 0), 'sealed on the relay');
});

test.run();
