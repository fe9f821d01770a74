// DirectAttempt's heartbeat with real wrtc links in one process: an idle link pings rarely while the
// relay may carry (LINK_IDLE_PING_MS), every beat with the relay off; a link that stops answering is
// noticed within 2 beats once something the peer answers was written, and by silence alone when idle.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import nodeWrtc from '@roamhq/wrtc';
import { encodeFrame, FrameType, FRAME_HEADER_BYTES, newMessageId } from '../shared/frames';
import { DirectAttempt } from '../client/mesh/directAttempt';
import { DEFAULT_TIMEOUTS, type MeshTimeouts } from '../client/mesh/timeouts';

const BEAT_MS = 100;
const IDLE_PING_MS = 1_000;
const timeouts: MeshTimeouts = { ...DEFAULT_TIMEOUTS, heartbeatMs: BEAT_MS, heartbeatMisses: 3, idlePingMs: IDLE_PING_MS, quietGiveUpMs: 30_000, directConnectMs: 10_000 };

/** PINGs written on every data channel of this process (all links of the test). */
let pingsSent = 0;
const channelProto = (nodeWrtc as unknown as { RTCDataChannel: { prototype: { send(data: unknown): void } } }).RTCDataChannel.prototype;
const send = channelProto.send;
channelProto.send = function (this: unknown, data: unknown) {
  const bytes = data instanceof Uint8Array ? data : data instanceof ArrayBuffer ? new Uint8Array(data) : null;
  if (bytes && bytes.byteLength === FRAME_HEADER_BYTES && bytes[1] === FrameType.PING) pingsSent++;
  return send.call(this, data);
};

interface Side {
  attempt: DirectAttempt;
  events: string[];
  frames: number;
}

/** Two attempts linked to each other; resolves once both are confirmed. */
async function linkedPair(relayCarries: boolean): Promise<[Side, Side]> {
  const sides: Side[] = [];
  const waiters: (() => void)[] = [];
  const make = (initiator: boolean, index: number): Side => {
    const side: Side = { attempt: undefined as unknown as DirectAttempt, events: [], frames: 0 };
    side.attempt = new DirectAttempt({
      id: 'a1',
      initiator,
      wrtc: nodeWrtc,
      iceServers: [],
      timeouts,
      relayCarries: () => relayCarries,
      handlers: {
        signal: (data) => queueMicrotask(() => sides[1 - index].attempt.signal(data)),
        confirmed: () => {
          side.events.push('confirmed');
          waiters.splice(0).forEach((w) => w());
        },
        failed: (reason) => side.events.push(`failed: ${reason}`),
        frame: () => side.frames++,
        quiet: () => side.events.push('quiet'),
        heard: () => side.events.push('heard'),
      },
    });
    return side;
  };
  sides.push(make(true, 0), make(false, 1));
  const deadline = Date.now() + 10_000;
  while (!sides.every((s) => s.attempt.confirmed)) {
    if (Date.now() > deadline) throw new Error('the pair did not confirm within 10 s');
    await new Promise<void>((resolve) => {
      waiters.push(resolve);
      setTimeout(resolve, 200);
    });
  }
  return [sides[0], sides[1]];
}

/** Waits (bounded) until `check` holds, checking every beat. */
async function eventually(check: () => boolean, withinMs: number, what: string): Promise<number> {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > withinMs) throw new Error(`${what}: not within ${withinMs} ms`);
    await new Promise((r) => setTimeout(r, BEAT_MS / 2));
  }
  return Date.now() - start;
}

const idleFor = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** PINGs written by both sides of a fresh linked pair while it is idle for `ms`. */
async function pingsWhileIdle(relayCarries: boolean, ms: number): Promise<{ pings: number; events: string[][] }> {
  const [a, b] = await linkedPair(relayCarries);
  try {
    await idleFor(BEAT_MS * 3);
    const before = pingsSent;
    await idleFor(ms);
    return { pings: pingsSent - before, events: [a.events, b.events] };
  } finally {
    a.attempt.close();
    b.attempt.close();
  }
}

test('relay allowed: an idle link pings once per LINK_IDLE_PING_MS per side and stays up', async () => {
  const { pings, events } = await pingsWhileIdle(true, IDLE_PING_MS * 4);
  console.log(`    idle ${IDLE_PING_MS * 4} ms, beat ${BEAT_MS} ms: ${pings} PINGs from both sides`);
  assert.ok(pings >= 4 && pings <= 12, `pinged ${pings} times (2 sides x 4 idle intervals expected)`);
  assert.equal(events, [['confirmed'], ['confirmed']], 'both sides stayed up');
});

test('relay off: an idle link pings every beat, as nothing else can carry', async () => {
  const { pings } = await pingsWhileIdle(false, IDLE_PING_MS);
  console.log(`    idle ${IDLE_PING_MS} ms with the relay off: ${pings} PINGs`);
  assert.ok(pings >= 12, `pinged only ${pings} times`);
});

test('a text that gets no answer makes the link quiet within 2 beats; an idle cut is noticed by silence', async () => {
  const [a, b] = await linkedPair(true);
  try {
    await idleFor(BEAT_MS * 3);
    b.attempt.cutSilently();
    const text = encodeFrame(FrameType.TEXT, newMessageId(), 1, { text: 'anyone?', sentAt: Date.now() } as never);
    a.attempt.transport.write(text);
    const quietMs = await eventually(() => a.events.includes('quiet'), BEAT_MS * 6, 'quiet after an unanswered text');
    console.log(`    unanswered text: quiet after ${quietMs} ms (beat ${BEAT_MS} ms)`);
    // b wrote nothing the peer answers: it only notices by silence, after the idle ping plus 3 beats.
    const silentMs = await eventually(() => b.events.includes('quiet'), IDLE_PING_MS + BEAT_MS * 8, 'quiet by silence');
    console.log(`    idle side: quiet by silence after ${silentMs} ms`);
    assert.ok(!a.events.some((e) => e.startsWith('failed')), 'not given up yet');
  } finally {
    a.attempt.close();
    b.attempt.close();
  }
});

test.run();
