// Garbage signaling from a rogue peer to a real mesh: broken offers, answers and candidates, with
// made-up and real attempt ids, prototype keys, wrong types. The mesh must throw nothing, and the
// victim's conversation with a friend goes on, every text once and in order.
// Replay a failure with FUZZ_MESH_SEED=<printed seed>.

import * as assert from 'uvu/assert';
import { fuzzSeed, Rng } from './helpers/fuzz';
import { allLinks, meshSuite, startPeers, textsFrom, until } from './helpers/mesh';
import { connectPeer } from './helpers/ws';
import { PROTOCOL_VERSION } from '../shared/limits';

const SIGNALS = 300;
const SIGNALS_PER_TICK = 15;
const TICK_MS = 50;

const test = meshSuite('fuzz mesh signals');

/** A simple-peer signal that is wrong in some way, as JSON text (so prototype keys stay own keys). */
function badSignal(rng: Rng): string {
  const junk = rng.bytes(rng.int(80)).toString('base64');
  return rng.pick([
    JSON.stringify({ type: 'offer', sdp: junk }),
    JSON.stringify({ type: 'offer', sdp: `v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n${junk}` }),
    JSON.stringify({ type: 'offer' }),
    JSON.stringify({ type: 'answer', sdp: junk }),
    JSON.stringify({ type: 'pranswer', sdp: '' }),
    JSON.stringify({ type: 'rollback' }),
    JSON.stringify({ type: 7, sdp: 7 }),
    JSON.stringify({ candidate: { candidate: `candidate:${junk}`, sdpMid: '0', sdpMLineIndex: 0 } }),
    JSON.stringify({ candidate: { candidate: 'candidate:1 1 udp 2122260223 10.255.255.1 9 typ host', sdpMid: 'nope', sdpMLineIndex: 99 } }),
    JSON.stringify({ candidate: 'x' }),
    JSON.stringify({ candidate: null }),
    JSON.stringify({ renegotiate: true }),
    JSON.stringify({ transceiverRequest: { kind: 'audio', init: {} } }),
    '{"__proto__":{"type":"offer","sdp":"v=0"},"constructor":{"prototype":{"polluted":true}}}',
    '[]',
    '"offer"',
    'null',
    '{}',
  ]);
}

test('garbage signals from a rogue never break the mesh; its friends keep chatting', async (ctx) => {
  const rng = new Rng(fuzzSeed('FUZZ_MESH_SEED'));
  ctx.peers = await startPeers(ctx.server, ['victim', 'friend']);
  const [victim, friend] = ctx.peers;
  await allLinks(ctx.peers, 'direct');
  const rogue = await connectPeer(ctx.server.wsUrl, await ctx.server.registerAndLogin('mallory'));
  ctx.cleanup.push(() => rogue.close());
  const victimId = victim.mesh.self!.peerId;
  await until(ctx.peers, () => victim.mesh.peers().some((p) => p.peerId === rogue.self.peerId), 10_000, 'victim sees the rogue');

  const thrown: unknown[] = [];
  const onThrown = (error: unknown) => thrown.push(error);
  process.on('uncaughtException', onThrown);
  process.on('unhandledRejection', onThrown);
  ctx.cleanup.push(() => {
    process.off('uncaughtException', onThrown);
    process.off('unhandledRejection', onThrown);
  });

  // The victim's own attempt ids, learned from its signals: garbage aimed at the live attempt too.
  const attempts = ['a', 'b', rng.peerId()];
  rogue.ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) return;
    const m = JSON.parse(data.toString('utf8')) as { type: string; data?: { attempt?: unknown } };
    if (m.type === 'signal' && typeof m.data?.attempt === 'string' && !attempts.includes(m.data.attempt)) attempts.push(m.data.attempt);
  });
  const sent: string[] = [];
  for (let signals = 0; signals < SIGNALS; ) {
    for (let i = 0; i < SIGNALS_PER_TICK; i++, signals++) {
      const attempt = rng.chance(0.9) ? JSON.stringify(rng.pick(attempts)) : rng.pick(['7', 'null', '{}', '"__proto__"']);
      const data = rng.chance(0.9) ? `{"attempt":${attempt},"signal":${badSignal(rng)}}` : `{"signal":${badSignal(rng)},"__proto__":{"attempt":"a"}}`;
      rogue.ws.send(`{"v":${PROTOCOL_VERSION},"type":"signal","to":"${victimId}","data":${data}}`);
    }
    const text = `still here ${sent.length}`;
    friend.mesh.sendText(text);
    sent.push(text);
    await new Promise((resolve) => setTimeout(resolve, TICK_MS));
  }
  await until(ctx.peers, () => textsFrom(victim, friend).length >= sent.length, 20_000, "all the friend's texts");
  assert.equal(textsFrom(victim, friend), sent, 'every text once, in order');
  assert.equal(thrown, [], 'nothing thrown out of the mesh');
  assert.is(({} as Record<string, unknown>).polluted, undefined);
  assert.not.ok(victim.errors.some((e) => e.peerId === friend.mesh.self!.peerId), 'no error about the friend');
  assert.not.ok(rogue.messages.some((m) => m.type === 'error'), 'every signal was well-formed enough for the server to forward');
  console.log(`    ${SIGNALS} garbage signals (${attempts.length} attempt ids); victim errors about the rogue: ${victim.errors.filter((e) => e.peerId === rogue.self.peerId).length}`);
  // The victim still talks to the friend both ways.
  victim.mesh.sendText('and back');
  await until(ctx.peers, () => textsFrom(friend, victim).includes('and back'), 10_000, 'reply');
});

test.run();
