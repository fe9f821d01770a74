// Flow control across nodes: a relay receiver on another node stops reading. Its node's socket
// buffer is out of the sender's node's sight, so the sender's node counts the bytes its receiver's
// node has not credited back: the sender is told to pause, a sender that ignores it has frames
// dropped, both nodes' memory stays bounded, and Redis keeps both nodes subscribed (no pub/sub
// output-buffer cut: a join after the flood still crosses). Reading again, the sender resumes.

import { readFile } from 'node:fs/promises';
import type net from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PEER_FRAME_MAX_BYTES, RELAY_DROP_ABOVE_BYTES } from '../../shared/limits';
import type { RelayFlowMessage } from '../../shared/protocol';
import { encodeRelayEnvelope } from '../../shared/relayEnvelope';
import { spawnNode, startEngines, type Engines } from '../helpers/cluster';
import { DEFAULT_PASSWORD, postJson, type ServerProcess } from '../helpers/server';
import { BURST_FRAMES, drained, streamUntilPaused } from '../helpers/relayStall';
import { connectPeer, onlinePeers, waitFor, type OnlineSocket } from '../helpers/ws';

const MiB = 1024 * 1024;
/** What a sender that ignores the pause pushes at the stalled receiver on the other node. */
const IGNORED_PAUSE_BYTES = 4 * RELAY_DROP_ABOVE_BYTES;
/** Each node's RSS may grow by at most this (a node that buffered what is pushed would pass it). */
const RSS_GROWTH_MAX_BYTES = 96 * MiB;

interface Ctx {
  engines: Engines;
  nodes: ServerProcess[];
  sockets: OnlineSocket[];
}

const test = suite<Ctx>('cluster: a relay receiver on another node stops reading');
test.before(async (ctx) => {
  ctx.engines = await startEngines();
  ctx.nodes = [await spawnNode(ctx.engines, 'n1'), await spawnNode(ctx.engines, 'n2')];
  ctx.sockets = [];
});
test.after(async (ctx) => {
  await Promise.all(ctx.sockets.map((s) => s.close()));
  for (const node of ctx.nodes ?? []) await node.kill9();
  await ctx.engines?.stop();
});

async function rssOf(pid: number): Promise<number> {
  return Number(/VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
}

async function online(ctx: Ctx, node: ServerProcess, username: string): Promise<OnlineSocket> {
  assert.is((await postJson(`${node.httpUrl}/api/register`, { username, password: DEFAULT_PASSWORD, displayName: username })).status, 201);
  const { token } = (await (await postJson(`${node.httpUrl}/api/login`, { username, password: DEFAULT_PASSWORD })).json()) as { token: string };
  const socket = await connectPeer(`ws://127.0.0.1:${node.port}/ws`, token);
  ctx.sockets.push(socket);
  return socket;
}


test('sender paused by credits, excess dropped, both nodes bounded, pub/sub intact, resumed after', async (ctx) => {
  const [n1, n2] = ctx.nodes;
  const sender = await online(ctx, n1, 'sender');
  const receiver = await online(ctx, n2, 'stalled');
  await waitFor(() => onlinePeers(sender).has(receiver.self.peerId), 5_000, 'the sender sees the receiver');
  const frame = encodeRelayEnvelope(receiver.self.peerId, new Uint8Array(PEER_FRAME_MAX_BYTES).fill(7));
  const pids = [n1.child.pid!, n2.child.pid!];
  const rssBefore = await Promise.all(pids.map(rssOf));
  (receiver.ws as unknown as { _socket: net.Socket })._socket.pause();

  const sentBeforePause = await streamUntilPaused(sender, receiver.self.peerId, frame);

  let ignored = 0;
  const peak = [...rssBefore];
  while (ignored < IGNORED_PAUSE_BYTES) {
    for (let i = 0; i < BURST_FRAMES; i++, ignored += frame.length) sender.ws.send(frame);
    await drained(sender);
    if (ignored % (4 * MiB) < BURST_FRAMES * frame.length) (await Promise.all(pids.map(rssOf))).forEach((rss, i) => (peak[i] = Math.max(peak[i], rss)));
  }
  await waitFor(() => sender.ws.bufferedAmount === 0, 5_000, 'the sender to flush');
  await waitFor(() => sender.messages.some((m) => m.type === 'error' && m.code === 'RELAY_BACKED_UP' && m.peer === receiver.self.peerId), 5_000, 'RELAY_BACKED_UP');
  const growth = peak.map((rss, i) => rss - rssBefore[i]);
  for (const [i, g] of growth.entries()) assert.ok(g < RSS_GROWTH_MAX_BYTES, `node ${i + 1} RSS grew ${(g / MiB).toFixed(0)} MiB`);

  // Both nodes still hear each other through Redis: a newcomer on n2 reaches the sender on n1.
  const newcomer = await online(ctx, n2, 'newcomer');
  await waitFor(() => onlinePeers(sender).has(newcomer.self.peerId), 10_000, 'a join crosses after the flood');

  (receiver.ws as unknown as { _socket: net.Socket })._socket.resume();
  await sender.next<RelayFlowMessage>((m) => m.type === 'relay-flow' && m.peer === receiver.self.peerId && !m.paused, 15_000);
  const sent = sentBeforePause + ignored;
  const received = receiver.binary.length * frame.length;
  assert.ok(received < sent, 'frames past the limit were dropped, not buffered');
  console.log(
    `    cross-node relay stall: paused after ${(sentBeforePause / MiB).toFixed(1)} MiB; ${(sent / MiB).toFixed(0)} MiB sent, receiver got ${(received / MiB).toFixed(0)} MiB; ` +
      `RSS +${(growth[0] / MiB).toFixed(0)} MiB (sender's node), +${(growth[1] / MiB).toFixed(0)} MiB (receiver's node), limit ${RSS_GROWTH_MAX_BYTES / MiB}`,
  );
});

test.run();
