// `npm run bench`: the mesh on loopback with every peer, and the server, in its own process.
// Measures text latency (p50/p99) and 5 MiB image delivery, direct and relayed, with 2, 3 and 8
// peers, against a raw ws transfer of the same bytes, and each path's floor (the same bytes with no
// mesh). Writes bench/results/latest.json and prints a table.

import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { IMAGE_MAX_BYTES } from '../shared/limits';
import { startBenchServer, type BenchServer } from './benchServer';
import { Baseline, baseline, rawDataChannel, RawRelay } from './floors';
import type { FromWorker } from './worker';
import { roomBench } from './roomReport';
import { SocketIoRelay } from './socketioRelay';
import { median, REPEATS, Worker } from './workerProcess';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const IMAGE_BYTES = IMAGE_MAX_BYTES;
const TEXTS = 300;
/** Texts sent first and not counted: the first sends on fresh links also compile the code they run. */
const WARMUP_TEXTS = 30;
const TEXT_INTERVAL_MS = 3;
const MiB = 1024 * 1024;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

interface Scenario {
  path: 'direct' | 'relay';
  peers: number;
  connectMs: number;
  textP50Ms: number;
  textP99Ms: number;
  imageRecipients: number;
  imageMs: number;
  /** 5 MiB / time until the last recipient had it. */
  imageMiBps: number;
  /** 5 MiB x recipients / that time: what the sender pushed out. */
  imageTotalMiBps: number;
  /** Raw ws baseline to the same number of receivers, one round before each image round: time and total MiB/s. */
  baselineMs: number;
  baselineTotalMiBps: number;
  /** imageTotalMiBps / baselineTotalMiBps (= baselineMs / imageMs): the figure issue 3 sets targets on. */
  ratioToBaseline: number;
  /**
   * The same transfer with no mesh: for relay, the bare relay (ws in, one forwarding process, ws out;
   * rounds interleaved with the image rounds); for direct, raw wrtc data channels to as many sinks
   * (measured just before the scenario).
   */
  floor: 'bare relay' | 'raw data channels';
  floorMs: number;
  /** floorMs / imageMs: how close the mesh comes to its floor. */
  ratioToFloor: number;
  /**
   * Relay only: the relay with no mesh doing just what issue 3 requires of every image (SHA-256 out,
   * reassembly and SHA-256 in; the mesh's message size), rounds interleaved with the image rounds.
   * Its ratio to the baseline bounds what any relay that verifies its images can reach here.
   */
  verifiedRelayMs?: number;
  verifiedRelayRatioToBaseline?: number;
  /**
   * Relay only: the Socket.IO room relay (issue 10 point 4: a server re-emitting each 64 KiB chunk to
   * the room, receivers verifying SHA-256), rounds interleaved with the image rounds; and
   * imageMs / socketIoMs (<= 1: the mesh's relay is at least as fast).
   */
  socketIoMs?: number;
  meshToSocketIo?: number;
}

async function scenario(server: BenchServer, pathKind: 'direct' | 'relay', n: number, tag: string): Promise<Scenario> {
  const names = Array.from({ length: n }, (_, i) => `${tag}${i}`);
  const tokens = await Promise.all(names.map((name) => server.registerAndLogin(name)));
  const workers = names.map((name) => new Worker(name));
  // The baseline runs between the image rounds, so both see the same machine (others' load comes and goes).
  const base = await new Baseline(n - 1).start();
  const rawRelay = pathKind === 'relay' ? await new RawRelay(n - 1, 'bare').start() : null;
  const verifiedRelay = pathKind === 'relay' ? await new RawRelay(n - 1, 'verified').start() : null;
  const socketIo = pathKind === 'relay' ? await new SocketIoRelay(n - 1).start() : null;
  const rawChannelsMs = pathKind === 'direct' ? await rawDataChannel(n - 1) : undefined;
  try {
    // Process start-up (tsx, wrtc) is not part of connecting.
    await Promise.all(workers.map((w) => w.next((m) => m.ev === 'ready')));
    const t0 = performance.now();
    workers.forEach((w, i) => w.send({ cmd: 'start', wsUrl: server.wsUrl, token: tokens[i] }));
    await Promise.all(workers.map((w) => w.next((m) => m.ev === 'links' && m.links.length === n - 1 && m.links.every((l) => l === pathKind))));
    const connectMs = performance.now() - t0;
    const [sender, ...receivers] = workers;

    const textRun = async (run: string, texts: number) => {
      sender.send({ cmd: 'texts', run, count: texts, intervalMs: TEXT_INTERVAL_MS });
      return Promise.all(receivers.map((w) => w.next<Extract<FromWorker, { ev: 'texts-done' }>>((m) => m.ev === 'texts-done' && m.run === run)));
    };
    await textRun(`${tag}-warmup`, WARMUP_TEXTS);
    const done = await textRun(`${tag}-text`, TEXTS);
    const latencies = done.flatMap((d) => d.latenciesMs).sort((a, b) => a - b);

    const imageTimes: number[] = [];
    const baselineTimes: number[] = [];
    const rawRelayTimes: number[] = [];
    const verifiedRelayTimes: number[] = [];
    const socketIoTimes: number[] = [];
    for (let r = 0; r <= REPEATS; r++) {
      const baselineMs = await base.round();
      if (r > 0) baselineTimes.push(baselineMs);
      const rawRelayMs = await rawRelay?.round();
      if (r > 0 && rawRelayMs !== undefined) rawRelayTimes.push(rawRelayMs);
      const verifiedRelayMs = await verifiedRelay?.round();
      if (r > 0 && verifiedRelayMs !== undefined) verifiedRelayTimes.push(verifiedRelayMs);
      const socketIoMs = await socketIo?.round();
      if (r > 0 && socketIoMs !== undefined) socketIoTimes.push(socketIoMs);
      const run = `${tag}-img${r}`;
      sender.send({ cmd: 'image', run, size: IMAGE_BYTES });
      const got = await Promise.all(receivers.map((w) => w.next<Extract<FromWorker, { ev: 'image-received' }>>((m) => m.ev === 'image-received' && m.run === run, 120_000)));
      const { startedAt, sha256 } = await sender.next<Extract<FromWorker, { ev: 'image-sent' }>>((m) => m.ev === 'image-sent' && m.run === run);
      if (!got.every((g) => g.sha256 === sha256)) throw new Error('an image arrived corrupted');
      if (r > 0) imageTimes.push(Math.max(...got.map((g) => g.receivedAt)) - startedAt); // round 0 warms up
    }
    const imageMs = median(imageTimes);
    const baselineMs = median(baselineTimes);
    const baselineTotalMiBps = ((n - 1) * IMAGE_BYTES) / MiB / (baselineMs / 1000);
    const imageTotalMiBps = ((n - 1) * IMAGE_BYTES) / MiB / (imageMs / 1000);
    return {
      path: pathKind,
      peers: n,
      connectMs: Math.round(connectMs),
      textP50Ms: percentile(latencies, 50),
      textP99Ms: percentile(latencies, 99),
      imageRecipients: n - 1,
      imageMs,
      imageMiBps: IMAGE_BYTES / MiB / (imageMs / 1000),
      imageTotalMiBps,
      baselineMs,
      baselineTotalMiBps,
      ratioToBaseline: imageTotalMiBps / baselineTotalMiBps,
      ...floorOf(rawChannelsMs ?? median(rawRelayTimes), imageMs, pathKind === 'relay' ? 'bare relay' : 'raw data channels'),
      ...(socketIoTimes.length > 0 && { socketIoMs: median(socketIoTimes), meshToSocketIo: imageMs / median(socketIoTimes) }),
      ...(verifiedRelayTimes.length > 0 && { verifiedRelayMs: median(verifiedRelayTimes), verifiedRelayRatioToBaseline: baselineMs / median(verifiedRelayTimes) }),
    };
  } finally {
    await Promise.all([...workers.map((w) => w.stop()), base.stop(), rawRelay?.stop(), verifiedRelay?.stop(), socketIo?.stop()]);
  }
}

const floorOf = (floorMs: number, imageMs: number, floor: Scenario['floor']) => ({ floor, floorMs, ratioToFloor: floorMs / imageMs });

const f = (x: number, d = 2) => x.toFixed(d);

async function main(): Promise<void> {
  const recipientCounts = [1, 2, 7];
  // wrtc's own speed against ws, one receiver each (the scenarios carry their own baselines).
  const baselines = new Map<number, number>([[1, await baseline(1)]]);
  const rawDcMs = await rawDataChannel();
  const rawDcMiBps = IMAGE_BYTES / MiB / (rawDcMs / 1000);
  const results: Scenario[] = [];
  const modes = (process.env.BENCH_ONLY ? [process.env.BENCH_ONLY] : ['auto', 'force']) as ('auto' | 'force')[];
  const peerCounts = process.env.BENCH_PEERS ? process.env.BENCH_PEERS.split(',').map(Number) : recipientCounts.map((r) => r + 1);
  for (const relay of modes) {
    const server = await startBenchServer(relay);
    try {
      for (const n of peerCounts) {
        const s = await scenario(server, relay === 'auto' ? 'direct' : 'relay', n, `${relay}${n}p`);
        results.push(s);
        console.error(`done: ${s.path} ${s.peers} peers`);
      }
    } finally {
      await server.stop();
    }
  }
  const out = {
    date: new Date().toISOString(),
    node: process.version,
    imageBytes: IMAGE_BYTES,
    texts: TEXTS,
    warmupTexts: WARMUP_TEXTS,
    repeats: REPEATS,
    definition:
      'throughput = 5 MiB x recipients / time from sendImage until the last recipient delivered it verified; ' +
      'ratio = that / the throughput of raw ws sending the same 5 MiB from one process to the same number of receiver processes (one socket each, 64 KiB frames, same polled backpressure), one baseline round before each image round (medians)',
    baselines: [...baselines].map(([receivers, ms]) => ({ kind: 'raw ws loopback, 64 KiB frames, measured next to the raw data channel (each scenario has its own baseline rounds)', receivers, ms, totalMiBps: (receivers * IMAGE_BYTES) / MiB / (ms / 1000) })),
    rawDataChannel: { kind: 'raw simple-peer + wrtc data channel, 64 KiB messages, same backpressure, one receiver', ms: rawDcMs, MiBps: rawDcMiBps },
    results,
  };
  await mkdir(path.join(HERE, 'results'), { recursive: true });
  await writeFile(path.join(HERE, 'results', 'latest.json'), JSON.stringify(out, null, 2) + '\n');

  for (const [r, ms] of baselines) console.log(`raw ws baseline, ${r} receiver${r > 1 ? 's' : ''}: 5 MiB to each in ${f(ms, 1)} ms = ${f((r * IMAGE_BYTES) / MiB / (ms / 1000), 1)} MiB/s total`);
  const base1 = baselines.get(1);
  const vsWs = base1 ? ` (${f((rawDcMiBps / (IMAGE_BYTES / MiB / (base1 / 1000))) * 100, 0)} % of ws)` : '';
  console.log(`raw data channel (no mesh): 5 MiB in ${f(rawDcMs, 1)} ms = ${f(rawDcMiBps, 1)} MiB/s${vsWs}\n`);
  console.log('path    peers  connect ms  text p50 ms  text p99 ms  image to  image ms  total MiB/s  ws ms  ws MiB/s  ratio  floor ms  vs floor  verified relay ms  its ratio  socket.io ms  mesh/sio');
  for (const r of results) {
    console.log(
      [r.path.padEnd(6), String(r.peers).padStart(5), String(r.connectMs).padStart(10), f(r.textP50Ms, 3).padStart(11), f(r.textP99Ms, 3).padStart(11),
        `${r.imageRecipients} peer${r.imageRecipients > 1 ? 's' : ' '}`.padStart(8), f(r.imageMs, 0).padStart(8), f(r.imageTotalMiBps, 1).padStart(11),
        f(r.baselineMs, 0).padStart(5), f(r.baselineTotalMiBps, 1).padStart(8), `${f(r.ratioToBaseline * 100, 0)} %`.padStart(5),
        f(r.floorMs, 0).padStart(8), `${f(r.ratioToFloor * 100, 0)} %`.padStart(8),
        (r.verifiedRelayMs === undefined ? '-' : f(r.verifiedRelayMs, 0)).padStart(17),
        (r.verifiedRelayRatioToBaseline === undefined ? '-' : `${f(r.verifiedRelayRatioToBaseline * 100, 0)} %`).padStart(9),
        (r.socketIoMs === undefined ? '-' : f(r.socketIoMs, 0)).padStart(12), (r.meshToSocketIo === undefined ? '-' : f(r.meshToSocketIo, 2)).padStart(8)].join('  '),
    );
  }
  console.log(`\ntext p50/p99: ${TEXTS} texts ${TEXT_INTERVAL_MS} ms apart from one peer to every other, after ${WARMUP_TEXTS} that are not counted.`);
  console.log('image ms: from sendImage (hashing included) until the last recipient delivered it, verified (median of ' + REPEATS + ' after a warm-up round; the same for the baselines).');
  console.log('total MiB/s = 5 MiB x recipients / image ms. ws ms, ws MiB/s: raw ws from one process to as many receiver processes, 5 MiB to each, one round before each image round.');
  console.log('ratio = total MiB/s / ws MiB/s (same bytes, same number of receivers). Issue 3 targets: 3 peers (image to 2) direct >= 50 %, relay >= 70 %.');
  console.log('floor ms: the same bytes with no mesh (no framing, hashing or checks). direct: raw wrtc data channels from one process to as many receivers;');
  console.log('  relay: raw ws from the sender to one forwarding process that sends every message on to each receiver. vs floor = floor ms / image ms.');
  console.log('verified relay ms: that relay doing only what issue 3 asks of every image: SHA-256 out, reassembly and SHA-256 in, with the mesh\'s');
  console.log('  256 KiB messages. its ratio = ws ms / verified relay ms: the most any relay that verifies its images reaches here.');
  console.log('socket.io ms: a Socket.IO room relay (server re-emits each 64 KiB chunk to the room; WebSocket transport), 5 MiB to as many receivers,');
  console.log('  each verifying SHA-256, processes placed like the mesh\'s, one round before each image round. mesh/sio = image ms / socket.io ms (issue 10: <= 1).');
  console.log('The server runs in its own process, started as `npm start` starts it.');
  // The room scenario (issue 10 point 3); BENCH_ROOM=0 leaves it out, `npm run bench:room` runs it alone.
  if (process.env.BENCH_ROOM !== '0') await roomBench();
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
