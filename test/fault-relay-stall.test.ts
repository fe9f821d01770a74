// Fault: a relay receiver stops reading (its socket is paused: the kernel buffers fill, then the
// server's). The sender is told to pause; a sender that ignores it has its frames dropped; the
// server's memory stays bounded (measured as the RSS of the server process); other clients'
// signals still get through promptly.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PEER_FRAME_MAX_BYTES, RELAY_DROP_ABOVE_BYTES, RELAY_PAUSE_ABOVE_BYTES } from '../shared/limits';
import type { RelayFlowMessage, SignalFromMessage } from '../shared/protocol';
import { encodeRelayEnvelope } from '../shared/relayEnvelope';
import { DEFAULT_PASSWORD, postJson, spawnServerProcess, type ServerProcess } from './helpers/server';
import { BURST_FRAMES, drained, streamUntilPaused } from './helpers/relayStall';
import { connectPeer, waitFor, type OnlineSocket } from './helpers/ws';
import { PROTOCOL_VERSION } from '../shared/limits';

const MiB = 1024 * 1024;
/** What a sender that ignores the pause pushes at the stalled receiver. */
const IGNORED_PAUSE_BYTES = 12 * RELAY_DROP_ABOVE_BYTES;
/**
 * Half of what is pushed: a server that buffered it would grow past this. Measured here: the RSS
 * levels off at +48-58 MiB whether 47 or 397 MiB are pushed (the receiver's 16 MiB backlog, frames
 * in flight and garbage not yet collected).
 */
const RSS_GROWTH_MAX_BYTES = IGNORED_PAUSE_BYTES / 2;
/** A bystander's signal must arrive within this, loaded machine included. */
const PROMPT_MS = 1_000;

interface Ctx {
  dir: string;
  server?: ServerProcess;
  sockets: OnlineSocket[];
}
const test = suite<Ctx>('fault: relay receiver stops reading', { dir: '', sockets: [] });

test.before.each(async (ctx) => {
  ctx.dir = await mkdtemp(path.join(tmpdir(), 'chatroom-fault-relay-'));
  ctx.sockets = [];
});
test.after.each(async (ctx) => {
  await Promise.all(ctx.sockets.map((s) => s.close()));
  await ctx.server?.kill9();
  await rm(ctx.dir, { recursive: true, force: true });
});

async function rssOf(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

async function online(server: ServerProcess, username: string): Promise<OnlineSocket> {
  assert.is((await postJson(`${server.httpUrl}/api/register`, { username, password: DEFAULT_PASSWORD, displayName: username })).status, 201);
  const { token } = (await (await postJson(`${server.httpUrl}/api/login`, { username, password: DEFAULT_PASSWORD })).json()) as { token: string };
  return connectPeer(`ws://127.0.0.1:${server.port}/ws`, token);
}


/** Sends a signal from `from` to `to` and returns how long it took to arrive. */
async function signalLatency(from: OnlineSocket, to: OnlineSocket, seq: number): Promise<number> {
  const started = performance.now();
  from.send({ v: PROTOCOL_VERSION, type: 'signal', to: to.self.peerId, data: { seq } });
  await to.next<SignalFromMessage>((m) => m.type === 'signal' && m.from === from.self.peerId && m.data.seq === seq, 5_000);
  return performance.now() - started;
}

test('stalled receiver: sender paused, excess dropped, server RSS bounded, others unaffected', async (ctx) => {
  ctx.server = await spawnServerProcess(['--host', '127.0.0.1', '--port', '0', '--db', path.join(ctx.dir, 'users.db')]);
  const [sender, receiver, c, d] = [await online(ctx.server, 'sender'), await online(ctx.server, 'stalled'), await online(ctx.server, 'carol'), await online(ctx.server, 'dave')];
  ctx.sockets.push(sender, receiver, c, d);
  const frame = encodeRelayEnvelope(receiver.self.peerId, new Uint8Array(PEER_FRAME_MAX_BYTES).fill(7));
  const pid = ctx.server.child.pid!;
  const rssBefore = await rssOf(pid);
  (receiver.ws as unknown as { _socket: net.Socket })._socket.pause();

  // A well-behaved sender streams until it is told to pause.
  const sentBeforePause = await streamUntilPaused(sender, receiver.self.peerId, frame);

  // Now it ignores the pause; meanwhile the others keep signalling.
  const latencies: number[] = [];
  let peakRss = rssBefore;
  let ignored = 0;
  let seq = 0;
  while (ignored < IGNORED_PAUSE_BYTES) {
    for (let i = 0; i < BURST_FRAMES; i++, ignored += frame.length) sender.ws.send(frame);
    await drained(sender);
    if (ignored % (4 * MiB) < BURST_FRAMES * frame.length) {
      latencies.push(await signalLatency(c, d, seq++), await signalLatency(sender, c, seq++));
      peakRss = Math.max(peakRss, await rssOf(pid));
    }
  }
  await waitFor(() => sender.ws.bufferedAmount === 0, 5_000, 'the sender to flush');
  latencies.push(await signalLatency(d, c, seq++));
  peakRss = Math.max(peakRss, await rssOf(pid));
  assert.ok(
    sender.messages.some((m) => m.type === 'error' && m.code === 'RELAY_BACKED_UP' && m.peer === receiver.self.peerId),
    'frames past the limit were dropped with RELAY_BACKED_UP',
  );
  const growth = peakRss - rssBefore;
  assert.ok(growth < RSS_GROWTH_MAX_BYTES, `server RSS grew ${(growth / MiB).toFixed(0)} MiB`);
  const slowest = Math.max(...latencies);
  assert.ok(slowest < PROMPT_MS, `a bystander signal took ${slowest.toFixed(0)} ms`);
  assert.is(c.ws.readyState, c.ws.OPEN);

  // The receiver reads again: the sender is told to resume; it got at most what the server held.
  (receiver.ws as unknown as { _socket: net.Socket })._socket.resume();
  await sender.next<RelayFlowMessage>((m) => m.type === 'relay-flow' && m.peer === receiver.self.peerId && !m.paused, 10_000);
  const sent = sentBeforePause + ignored;
  const received = receiver.binary.length * frame.length;
  assert.ok(received < sent, 'frames past the limit were dropped, not buffered');
  const sorted = [...latencies].sort((x, y) => x - y);
  console.log(
    `    relay stall: paused after ${(sentBeforePause / MiB).toFixed(1)} MiB (pause at ${RELAY_PAUSE_ABOVE_BYTES / MiB} MiB backlog); ` +
      `${(sent / MiB).toFixed(0)} MiB sent, receiver got ${(received / MiB).toFixed(0)} MiB; server RSS +${(growth / MiB).toFixed(0)} MiB (limit ${RSS_GROWTH_MAX_BYTES / MiB}); ` +
      `bystander signals p50 ${sorted[Math.floor(sorted.length / 2)].toFixed(1)} ms, max ${slowest.toFixed(1)} ms (${sorted.length})`,
  );
});

test.run();
