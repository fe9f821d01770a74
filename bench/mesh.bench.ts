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
import { CpuMeter, quiet } from './cpu';
import { roomBench } from './roomReport';
import { SocketIoRelay } from './socketioRelay';
import { MeshGroup } from './meshGroup';
import { median, REPEATS } from './workerProcess';

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
  /** The median of each round's mesh / Socket.IO (the two measured in the same round): load that comes and goes between rounds cancels out. */
  meshToSocketIoPaired?: number;
  /** Rounds in which the mesh was no slower than Socket.IO. */
  roundsAtMostSocketIo?: number;
  /**
   * Relay only: CPU ms per image, all the processes of each together (mesh: sender, receivers and
   * server; Socket.IO: the same parts), from /proc over the counted rounds: steadier than wall time
   * on a shared machine, and on 2 cores what the wall time mostly follows.
   */
  meshCpuMs?: number;
  socketIoCpuMs?: number;
  /** The same per process: [server, sender, receivers...]. */
  meshCpuByProcessMs?: number[];
  socketIoCpuByProcessMs?: number[];
  /**
   * Relay only: the same mesh relaying unencrypted (MeshOptions.plainRelay), timed round by round
   * with the sealed one: its image ms, sealed / unencrypted (issue 13: <= 1.3), and its CPU ms.
   */
  plainImageMs?: number;
  sealedToPlain?: number;
  plainCpuMs?: number;
  plainCpuByProcessMs?: number[];
  /** BENCH_BEFORE: the other checkout's mesh, timed round by round with this one: its image ms, / socket.io, this / it, its CPU. */
  beforeImageMs?: number;
  beforeToSocketIo?: number;
  afterToBefore?: number;
  beforeCpuMs?: number;
}

/**
 * Image rounds run before the counted ones (BENCH_WARMUP_ROUNDS, default 1: the JIT's). With 11 or
 * more, every peer's history of images (HISTORY_SYNC_IMAGE_BYTES_MAX, 10 of these 5 MiB images) is
 * full before the count starts, as in a room that has been running a while.
 */
const WARMUP_ROUNDS = Math.max(1, Number(process.env.BENCH_WARMUP_ROUNDS ?? 1));

/** Another checkout (BENCH_BEFORE=dir): its server and peers are timed too, round by round with this one's. */
const BEFORE = process.env.BENCH_BEFORE ? path.resolve(process.env.BENCH_BEFORE) : undefined;

async function scenario(server: BenchServer, pathKind: 'direct' | 'relay', n: number, tag: string, beforeServer?: BenchServer, plainServer?: BenchServer): Promise<Scenario> {
  const mesh = new MeshGroup(server, n, tag);
  const before = beforeServer && pathKind === 'relay' ? new MeshGroup(beforeServer, n, `${tag}b`, path.join(BEFORE!, 'bench', 'worker.ts')) : null;
  // End-to-end encryption's cost: the same mesh relaying unencrypted, rounds interleaved, on a server of
  // its own (one room each: a mesh sends to everyone in its room, and sealed and unencrypted peers refuse each other).
  const plain = plainServer && pathKind === 'relay' ? new MeshGroup(plainServer, n, `${tag}u`, 'worker.ts', true) : null;
  // The baseline runs between the image rounds, so both see the same machine (others' load comes and goes).
  const base = await new Baseline(n - 1).start();
  const rawRelay = pathKind === 'relay' ? await new RawRelay(n - 1, 'bare').start() : null;
  const verifiedRelay = pathKind === 'relay' ? await new RawRelay(n - 1, 'verified').start() : null;
  const socketIo = pathKind === 'relay' ? await new SocketIoRelay(n - 1).start() : null;
  const rawChannelsMs = pathKind === 'direct' ? await rawDataChannel(n - 1) : undefined;
  try {
    const connectMs = await mesh.connect(pathKind);
    await before?.connect(pathKind);
    await plain?.connect(pathKind);
    await mesh.texts(`${tag}-warmup`, WARMUP_TEXTS, TEXT_INTERVAL_MS);
    await before?.texts(`${tag}b-warmup`, WARMUP_TEXTS, TEXT_INTERVAL_MS);
    await plain?.texts(`${tag}u-warmup`, WARMUP_TEXTS, TEXT_INTERVAL_MS);
    const latencies = (await mesh.texts(`${tag}-text`, TEXTS, TEXT_INTERVAL_MS)).sort((a, b) => a - b);

    const times = { image: [] as number[], plain: [] as number[], before: [] as number[], baseline: [] as number[], rawRelay: [] as number[], verifiedRelay: [] as number[], socketIo: [] as number[] };
    const cpu = { mesh: new CpuMeter(() => mesh.pids()), plain: new CpuMeter(() => plain?.pids() ?? []), before: new CpuMeter(() => before?.pids() ?? []), socketIo: new CpuMeter(() => socketIo?.pids() ?? []) };
    /** The first WARMUP_ROUNDS warm up and are not counted. */
    const timed = async <T>(r: number, into: number[], meter: CpuMeter | null, run: () => Promise<T> | undefined): Promise<void> => {
      const counted = r >= WARMUP_ROUNDS;
      if (counted) meter?.start();
      const ms = await run();
      if (counted) meter?.stop();
      if (counted && typeof ms === 'number') into.push(ms);
    };
    // Every measure starts once the processes of the last are quiet (their collectors, acks and
    // history done), and the order turns by one each round: in a fixed order the mesh always ran
    // right after the unencrypted mesh while its processes were still busy, and in A/B runs made
    // in both orders whichever checkout ran last in a round came out 5-15 % slower.
    const allPids = () => [...mesh.pids(), ...(plain?.pids() ?? []), ...(before?.pids() ?? []), ...(socketIo?.pids() ?? [])];
    const steps: ((r: number) => Promise<void>)[] = [
      (r) => timed(r, times.baseline, null, () => base.round()),
      (r) => timed(r, times.rawRelay, null, () => rawRelay?.round()),
      (r) => timed(r, times.verifiedRelay, null, () => verifiedRelay?.round()),
      (r) => timed(r, times.socketIo, cpu.socketIo, () => socketIo?.round()),
      (r) => timed(r, times.before, cpu.before, () => before?.image(r)),
      (r) => timed(r, times.plain, cpu.plain, () => plain?.image(r)),
      (r) => timed(r, times.image, cpu.mesh, () => mesh.image(r)),
    ];
    for (let r = 0; r < WARMUP_ROUNDS + REPEATS; r++) {
      for (let i = 0; i < steps.length; i++) {
        await quiet(allPids);
        await steps[(i + r) % steps.length](r);
      }
    }
    const imageMs = median(times.image);
    const baselineMs = median(times.baseline);
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
      ...floorOf(rawChannelsMs ?? median(times.rawRelay), imageMs, pathKind === 'relay' ? 'bare relay' : 'raw data channels'),
      ...(times.socketIo.length > 0 && {
        socketIoMs: median(times.socketIo),
        meshToSocketIo: imageMs / median(times.socketIo),
        meshToSocketIoPaired: median(times.image.map((ms, i) => ms / times.socketIo[i])),
        roundsAtMostSocketIo: times.image.filter((ms, i) => ms <= times.socketIo[i]).length,
        meshCpuMs: cpu.mesh.perSpanMs,
        socketIoCpuMs: cpu.socketIo.perSpanMs,
        meshCpuByProcessMs: cpu.mesh.perProcessMs,
        socketIoCpuByProcessMs: cpu.socketIo.perProcessMs,
      }),
      ...(times.plain.length > 0 && { plainImageMs: median(times.plain), sealedToPlain: imageMs / median(times.plain), plainCpuMs: cpu.plain.perSpanMs, plainCpuByProcessMs: cpu.plain.perProcessMs }),
      ...(times.before.length > 0 && {
        beforeImageMs: median(times.before),
        beforeToSocketIo: median(times.before) / median(times.socketIo),
        afterToBefore: imageMs / median(times.before),
        beforeCpuMs: cpu.before.perSpanMs,
      }),
      ...(times.verifiedRelay.length > 0 && { verifiedRelayMs: median(times.verifiedRelay), verifiedRelayRatioToBaseline: baselineMs / median(times.verifiedRelay) }),
    };
  } finally {
    await Promise.all([mesh.stop(), plain?.stop(), before?.stop(), base.stop(), rawRelay?.stop(), verifiedRelay?.stop(), socketIo?.stop()]);
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
    const beforeServer = BEFORE && relay === 'force' ? await startBenchServer(relay, BEFORE) : undefined;
    const plainServer = relay === 'force' ? await startBenchServer(relay) : undefined;
    try {
      for (const n of peerCounts) {
        const s = await scenario(server, relay === 'auto' ? 'direct' : 'relay', n, `${relay}${n}p`, beforeServer, plainServer);
        results.push(s);
        console.error(`done: ${s.path} ${s.peers} peers`);
      }
    } finally {
      await Promise.all([server.stop(), beforeServer?.stop(), plainServer?.stop()]);
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
  console.log('path    peers  connect ms  text p50 ms  text p99 ms  image to  image ms  total MiB/s  ws ms  ws MiB/s  ratio  floor ms  vs floor  verified relay ms  its ratio  socket.io ms  mesh/sio  CPU ms: mesh  sio');
  for (const r of results) {
    console.log(
      [r.path.padEnd(6), String(r.peers).padStart(5), String(r.connectMs).padStart(10), f(r.textP50Ms, 3).padStart(11), f(r.textP99Ms, 3).padStart(11),
        `${r.imageRecipients} peer${r.imageRecipients > 1 ? 's' : ' '}`.padStart(8), f(r.imageMs, 0).padStart(8), f(r.imageTotalMiBps, 1).padStart(11),
        f(r.baselineMs, 0).padStart(5), f(r.baselineTotalMiBps, 1).padStart(8), `${f(r.ratioToBaseline * 100, 0)} %`.padStart(5),
        f(r.floorMs, 0).padStart(8), `${f(r.ratioToFloor * 100, 0)} %`.padStart(8),
        (r.verifiedRelayMs === undefined ? '-' : f(r.verifiedRelayMs, 0)).padStart(17),
        (r.verifiedRelayRatioToBaseline === undefined ? '-' : `${f(r.verifiedRelayRatioToBaseline * 100, 0)} %`).padStart(9),
        (r.socketIoMs === undefined ? '-' : f(r.socketIoMs, 0)).padStart(12), (r.meshToSocketIo === undefined ? '-' : f(r.meshToSocketIo, 2)).padStart(8),
        (r.meshCpuMs === undefined ? '-' : f(r.meshCpuMs, 0)).padStart(12), (r.socketIoCpuMs === undefined ? '-' : f(r.socketIoCpuMs, 0)).padStart(4)].join('  '),
    );
  }
  for (const r of results) {
    if (r.meshToSocketIoPaired === undefined) continue;
    console.log(`mesh/sio round by round, ${r.path} ${r.peers} peers: median ${f(r.meshToSocketIoPaired, 2)}; the mesh no slower in ${r.roundsAtMostSocketIo} of ${REPEATS} rounds`);
  }
  for (const r of results) {
    if (!r.meshCpuByProcessMs || !r.socketIoCpuByProcessMs) continue;
    const parts = (xs: number[]) => `server ${f(xs[0], 0)}, sender ${f(xs[1], 0)}, receivers ${xs.slice(2).map((x) => f(x, 0)).join('/')}`;
    console.log(`CPU ms per image, ${r.path} ${r.peers} peers: mesh ${parts(r.meshCpuByProcessMs)}; socket.io ${parts(r.socketIoCpuByProcessMs)}`);
  }
  for (const r of results) {
    if (r.plainImageMs === undefined) continue;
    console.log(
      `end to end, ${r.path} ${r.peers} peers (rounds interleaved): unencrypted ${f(r.plainImageMs, 0)} ms (CPU ${f(r.plainCpuMs!, 0)} ms), ` +
        `sealed ${f(r.imageMs, 0)} ms (CPU ${f(r.meshCpuMs!, 0)} ms): sealed/unencrypted ${f(r.sealedToPlain!, 2)} (issue 13: <= 1.3); ` +
        `CPU ms per process [server, sender, receivers] unencrypted ${r.plainCpuByProcessMs!.map((x) => f(x, 0)).join('/')}, sealed ${r.meshCpuByProcessMs!.map((x) => f(x, 0)).join('/')}`,
    );
  }
  for (const r of results) {
    if (r.beforeImageMs === undefined) continue;
    console.log(
      `before/after, ${r.path} ${r.peers} peers (BENCH_BEFORE=${BEFORE}, rounds interleaved): before ${f(r.beforeImageMs, 0)} ms (/sio ${f(r.beforeToSocketIo!, 2)}, CPU ${f(r.beforeCpuMs!, 0)} ms), ` +
        `after ${f(r.imageMs, 0)} ms (/sio ${f(r.meshToSocketIo!, 2)}, CPU ${f(r.meshCpuMs!, 0)} ms): after/before ${f(r.afterToBefore!, 2)}`,
    );
  }
  console.log(`\ntext p50/p99: ${TEXTS} texts ${TEXT_INTERVAL_MS} ms apart from one peer to every other, after ${WARMUP_TEXTS} that are not counted.`);
  console.log('image ms: from sendImage (hashing included) until the last recipient delivered it, verified (median of ' + REPEATS + ' after a warm-up round; the same for the baselines).');
  console.log('total MiB/s = 5 MiB x recipients / image ms. ws ms, ws MiB/s: raw ws from one process to as many receiver processes, 5 MiB to each, one round per image round.');
  console.log('ratio = total MiB/s / ws MiB/s (same bytes, same number of receivers). Issue 3 targets: 3 peers (image to 2) direct >= 50 %, relay >= 70 %.');
  console.log('floor ms: the same bytes with no mesh (no framing, hashing or checks). direct: raw wrtc data channels from one process to as many receivers;');
  console.log('  relay: raw ws from the sender to one forwarding process that sends every message on to each receiver. vs floor = floor ms / image ms.');
  console.log('verified relay ms: that relay doing only what issue 3 asks of every image: SHA-256 out, reassembly and SHA-256 in, with the mesh\'s');
  console.log('  256 KiB messages. its ratio = ws ms / verified relay ms: the most any relay that verifies its images reaches here.');
  console.log('socket.io ms: a Socket.IO room relay (server re-emits each 64 KiB chunk to the room; WebSocket transport), 5 MiB to as many receivers,');
  console.log('  each verifying SHA-256, processes placed like the mesh\'s, one round per image round. mesh/sio = image ms / socket.io ms (issue 10: <= 1).');
  console.log('CPU ms: per image, user + system time of every process of the transfer together (mesh: sender, receivers, server), from /proc.');
  console.log('The server runs in its own process, started as `npm start` starts it. Each round runs every measure once, in an order that turns by one');
  console.log('  each round, each starting once the processes of the others are quiet (bench/cpu.ts quiet).');
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
