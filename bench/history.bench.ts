// History from peers (issue 11): how long a newcomer takes to receive the room's recent history
// (200 texts and 10 MiB of images, served by 2 peers), next to a raw transfer of the same bytes
// from the same 2 peers to one receiver over bare simple-peer data channels (64 KiB messages,
// polled backpressure), measured in the same run. Peers are in one process (like the tests).
//
//   npm run bench:history            (HISTORY_BENCH_ROUNDS=3 by default)

import SimplePeer from 'simple-peer';
import WebSocket from 'ws';
import { createMesh } from '../client/mesh/index';
import type { ChatMessage, Mesh } from '../client/mesh/api';
import { nodeWrtc as wrtc } from '../client/cli/nodeWrtc';
import { nodeSha256 } from '../client/cli/nodeSha256';
import { paddedPng } from '../test/helpers/imageFixtures';
import { startBenchServer, type BenchServer } from './benchServer';
import { nodeCrypto } from '../client/cli/nodeCrypto';

const TEXTS = 200;
const IMAGES = 4;
const IMAGE_BYTES = 2.5 * 1024 * 1024; // 4 x 2.5 MiB = 10 MiB
const ROUNDS = Number(process.env.HISTORY_BENCH_ROUNDS ?? 3);
const CHUNK = 64 * 1024;
const PAUSE_ABOVE = 1024 * 1024;

function online(mesh: Mesh): Promise<void> {
  return new Promise((resolve) => {
    if (mesh.status === 'online') return resolve();
    const off = mesh.on('status', (s) => s === 'online' && (off(), resolve()));
  });
}

function sees(mesh: Mesh, count: number): Promise<void> {
  return new Promise((resolve) => {
    if (mesh.peers().length >= count) return resolve();
    const off = mesh.on('peers', (peers) => peers.length >= count && (off(), resolve()));
  });
}

function join(server: BenchServer, token: string): Mesh {
  const mesh = createMesh({ serverUrl: server.wsUrl, token, wrtc, WebSocket, ...nodeCrypto });
  mesh.start();
  return mesh;
}

function collect(mesh: Mesh, count: number): Promise<{ textsMs: number; allMs: number }> {
  const started = performance.now();
  let texts = 0;
  let all = 0;
  let textsMs = 0;
  return new Promise((resolve) => {
    mesh.on('message', (m: ChatMessage) => {
      all++;
      if (m.kind === 'text' && ++texts === TEXTS) textsMs = performance.now() - started;
      if (all === count) resolve({ textsMs, allMs: performance.now() - started });
    });
  });
}

/** One round: a room of alice and bob with the history, then a newcomer. */
async function historyRound(server: BenchServer, round: number): Promise<{ textsMs: number; allMs: number; bytes: number }> {
  const [a, b] = [join(server, await server.registerAndLogin(`alice${round}`)), join(server, await server.registerAndLogin(`bob${round}`))];
  await Promise.all([online(a), online(b)]);
  await Promise.all([sees(a, 1), sees(b, 1)]);
  const got = new Promise<void>((resolve) => {
    let n = 0;
    b.on('message', () => ++n === TEXTS + IMAGES && resolve());
  });
  let textBytes = 0;
  for (let i = 0; i < TEXTS; i++) {
    const text = `message ${i} `.padEnd(120, 'x');
    textBytes += text.length;
    (i % 2 ? b : a).sendText(text);
  }
  for (let i = 0; i < IMAGES; i++) await (i % 2 ? b : a).sendImage(paddedPng(IMAGE_BYTES), `history${i}.png`);
  await got;
  const newcomer = join(server, await server.registerAndLogin(`carol${round}`));
  const result = await collect(newcomer, TEXTS + IMAGES);
  for (const m of [a, b, newcomer]) m.stop();
  return { ...result, bytes: textBytes + IMAGES * IMAGE_BYTES };
}

/** The same bytes, half from each of 2 sources, over bare data channels to one receiver. */
async function rawRound(bytes: number): Promise<number> {
  const Ctor = SimplePeer as unknown as new (o: object) => SimplePeer.Instance;
  const pairs = [0, 1].map(() => {
    const from = new Ctor({ initiator: true, wrtc, trickle: true });
    const to = new Ctor({ initiator: false, wrtc, trickle: true });
    from.on('signal', (s: SimplePeer.SignalData) => to.signal(s));
    to.on('signal', (s: SimplePeer.SignalData) => from.signal(s));
    return { from, to };
  });
  await Promise.all(pairs.map((p) => new Promise((resolve) => p.from.once('connect', resolve))));
  const half = Math.ceil(bytes / 2);
  let received = 0;
  const started = performance.now();
  const done = new Promise<void>((resolve) => {
    for (const p of pairs) p.to.on('data', (d: Uint8Array) => (received += d.byteLength) >= 2 * half && resolve());
  });
  const chunk = new Uint8Array(CHUNK);
  for (const p of pairs) {
    void (async () => {
      const channel = (p.from as unknown as { _channel: { bufferedAmount: number } })._channel;
      for (let sent = 0; sent < half; sent += CHUNK) {
        while (channel.bufferedAmount > PAUSE_ABOVE) await new Promise((r) => setTimeout(r, 2));
        p.from.send(chunk.subarray(0, Math.min(CHUNK, half - sent)));
      }
    })();
  }
  await done;
  const ms = performance.now() - started;
  for (const p of pairs) (p.from.destroy(), p.to.destroy());
  return ms;
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const server = await startBenchServer('auto');
  const history: { textsMs: number; allMs: number }[] = [];
  const raw: number[] = [];
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const h = await historyRound(server, round);
      history.push(h);
      raw.push(await rawRound(h.bytes));
      console.log(`round ${round + 1}: newcomer had ${TEXTS} texts after ${h.textsMs.toFixed(0)} ms and everything (${(h.bytes / 1024 / 1024).toFixed(1)} MiB) after ${h.allMs.toFixed(0)} ms; raw channels moved the same bytes in ${raw[round].toFixed(0)} ms`);
    }
  } finally {
    await server.stop();
  }
  const all = median(history.map((h) => h.allMs));
  console.log(`\nhistory from 2 peers, medians of ${ROUNDS}: texts ${median(history.map((h) => h.textsMs)).toFixed(0)} ms, all ${all.toFixed(0)} ms; raw data channels ${median(raw).toFixed(0)} ms; ratio ${(all / median(raw)).toFixed(2)}x raw`);
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});

