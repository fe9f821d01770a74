// Impersonation at the server: whatever sender a client writes into a signal or a relay envelope,
// the receiver sees the sender the server stamped, and no client can take another's peer id.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ErrorMessage, SignalFromMessage } from '../shared/protocol';
import { decodeRelayEnvelope, encodeRelayEnvelope, encodeRelayRequest } from '../shared/relayEnvelope';
import { startTestServer, type TestServer } from './helpers/server';
import { connectPeer, connectUsers, openSocket, type OnlineSocket, type TestSocket } from './helpers/ws';
import { PROTOCOL_VERSION } from '../shared/limits';

interface Ctx {
  server: TestServer;
  alice: OnlineSocket;
  bob: OnlineSocket;
  carol: OnlineSocket;
  sockets: TestSocket[];
}
const test = suite<Ctx>('impersonation (server)', {} as Ctx);

test.before.each(async (ctx) => {
  ctx.server = await startTestServer();
  ctx.sockets = [ctx.alice, ctx.bob, ctx.carol] = await connectUsers(ctx.server, ['alice', 'bob', 'carol']);
});
test.after.each(async (ctx) => {
  await Promise.all(ctx.sockets.map((s) => s.close()));
  await ctx.server.stop();
});

test('a sender written anywhere in a signal is ignored: the receiver sees the server-stamped one', async ({ alice, bob, carol }) => {
  const carolId = carol.self.peerId;
  const forgeries = [
    JSON.stringify({ v: PROTOCOL_VERSION, type: 'signal', to: bob.self.peerId, from: carolId, data: { n: 1 } }),
    // Duplicate keys: the last one wins in JSON.parse, on either side of "to".
    `{"from":"${carolId}","v":${PROTOCOL_VERSION},"type":"signal","to":"${bob.self.peerId}","from":"${carolId}","data":{"n":2}}`,
    JSON.stringify({ v: PROTOCOL_VERSION, type: 'signal', to: bob.self.peerId, sender: carolId, peer: carolId, self: { peerId: carolId }, data: { n: 3, from: carolId } }),
    `{"v":${PROTOCOL_VERSION},"type":"signal","to":"${bob.self.peerId}","__proto__":{"from":"${carolId}"},"data":{"n":4}}`,
  ];
  for (const text of forgeries) alice.ws.send(text);
  for (let n = 1; n <= forgeries.length; n++) {
    const signal = await bob.next<SignalFromMessage>((m) => m.type === 'signal' && m.data.n === n);
    assert.is(signal.from, alice.self.peerId, `forgery ${n}`);
    assert.equal(Object.keys(signal).sort(), ['data', 'from', 'type', 'v']);
  }
  // Data is opaque and passed on as it is: a "from" inside it is the receiver's to distrust.
  assert.is((bob.messages.find((m) => m.type === 'signal' && m.data.n === 3) as SignalFromMessage).data.from, carolId);
  assert.not.ok(carol.messages.some((m) => m.type === 'signal'), 'nothing reached the impersonated peer');
  assert.not.ok(alice.messages.some((m) => m.type === 'error'));
});

test('a relay envelope names the receiver; the server rewrites it to the sender, nested envelopes are just payload', async ({ alice, bob, carol }) => {
  // The payload is itself an envelope naming carol: the receiver must see alice, payload untouched.
  const inner = encodeRelayEnvelope(carol.self.peerId, new TextEncoder().encode('I am carol'));
  alice.ws.send(encodeRelayEnvelope(bob.self.peerId, inner));
  const got = decodeRelayEnvelope(new Uint8Array(await bob.nextBinary()));
  assert.is(got.peerId, alice.self.peerId);
  assert.equal([...got.payload], [...inner]);
  // Several receivers in one envelope: each sees alice.
  alice.ws.send(encodeRelayRequest([bob.self.peerId, carol.self.peerId, bob.self.peerId], new Uint8Array([1, 2, 3])));
  for (const receiver of [bob, carol]) assert.is(decodeRelayEnvelope(new Uint8Array(await receiver.nextBinary())).peerId, alice.self.peerId);
  // Naming oneself is refused, not looped back as if from someone.
  alice.ws.send(encodeRelayEnvelope(alice.self.peerId, new Uint8Array([9])));
  const refused = await alice.next<ErrorMessage>((m) => m.type === 'error');
  assert.is(refused.code, 'UNKNOWN_PEER');
  assert.is(alice.binary.length, 0);
  assert.is(bob.binary.length, 2, 'a receiver named twice gets the payload once');
});

test('a peer id cannot be claimed: it is derived from the account, even with a stolen peer secret', async (ctx) => {
  const malloryToken = await ctx.server.registerAndLogin('mallory');
  // Peer secrets mallory might try: bob's peer id, and bob's real secret (were it ever leaked).
  const bobSecret = 'bobs-secret-0123456789abcdef';
  const bob2 = await connectPeer(ctx.server.wsUrl, await ctx.server.login('bob'), bobSecret);
  ctx.sockets.push(bob2);
  for (const secret of [ctx.bob.self.peerId, bobSecret]) {
    const mallory = await connectPeer(ctx.server.wsUrl, malloryToken, secret);
    ctx.sockets.push(mallory);
    assert.is.not(mallory.self.peerId, ctx.bob.self.peerId);
    assert.is.not(mallory.self.peerId, bob2.self.peerId);
    assert.is(mallory.self.username, 'mallory');
  }
  // Neither bob socket was replaced by mallory's.
  for (const s of [ctx.bob, bob2]) assert.not.ok(s.messages.some((m) => m.type === 'error' && m.code === 'REPLACED'));
  // A second socket of the same account is another peer: its signals carry its own id.
  bob2.send({ v: PROTOCOL_VERSION, type: 'signal', to: ctx.alice.self.peerId, from: ctx.bob.self.peerId, data: { second: true } });
  const signal = await ctx.alice.next<SignalFromMessage>((m) => m.type === 'signal' && m.data.second === true);
  assert.is(signal.from, bob2.self.peerId);
});

test('signaling across accounts works only through the stamped path; nobody unauthenticated can signal', async ({ server, alice, bob, carol, sockets }) => {
  alice.send({ v: PROTOCOL_VERSION, type: 'signal', to: bob.self.peerId, data: { offer: 1 } });
  const offer = await bob.next<SignalFromMessage>((m) => m.type === 'signal');
  bob.send({ v: PROTOCOL_VERSION, type: 'signal', to: offer.from, data: { answer: 1 } });
  const answer = await alice.next<SignalFromMessage>((m) => m.type === 'signal');
  assert.is(answer.from, bob.self.peerId);
  assert.equal(answer.data, { answer: 1 });
  const anonymous = await openSocket(server.wsUrl);
  sockets.push(anonymous);
  anonymous.send({ v: PROTOCOL_VERSION, type: 'signal', to: bob.self.peerId, from: alice.self.peerId, data: { anonymous: true } });
  anonymous.ws.send(encodeRelayEnvelope(bob.self.peerId, new Uint8Array([1])));
  for (let i = 0; i < 2; i++) assert.is((await anonymous.next<ErrorMessage>((m) => m.type === 'error')).code, 'NOT_AUTHENTICATED');
  // Both were refused synchronously on arrival: had either been forwarded, bob would have it by now.
  alice.send({ v: PROTOCOL_VERSION, type: 'signal', to: bob.self.peerId, data: { marker: true } });
  await bob.next((m) => m.type === 'signal' && m.data.marker === true);
  assert.not.ok(bob.messages.some((m) => m.type === 'signal' && m.data.anonymous), 'an unauthenticated signal never arrives');
  assert.is(bob.binary.length, 0);
  assert.not.ok(carol.messages.some((m) => m.type === 'signal'), 'a signal goes to the named peer only');
});

test.run();
