// The room scenario of `npm run bench` (issue 10, point 3): ROOM_PEERS peers in ROOM_PROCS processes
// (peer i in process i % ROOM_PROCS), joining one after another JOIN_SPACING_MS apart, against one
// rendezvous server in its own process (relay mode auto). Every wait is bounded: on a mesh that
// never settles the scenario still ends and reports what it saw.

import * as limits from '../shared/limits';
import { startBenchServer } from './benchServer';
import { cpuMsOf } from './cpu';
import { RoomProcesses } from './roomProcesses';
import { roomUsername, RoomState, spread, type Spread } from './roomState';

const env = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
export const ROOM_PEERS = env('BENCH_ROOM_PEERS', 50);
/** 10 x 5 rather than 5 x 10: each process stays well under the 20,000 open files it may hold (roomWorker.ts). */
export const ROOM_PROCS = env('BENCH_ROOM_PROCS', 10);
const JOIN_SPACING_MS = 100;
/** After the last join: how long to wait for every pair to carry, then for links to settle (ms). */
/** The server's relay mode: auto (relay first, then direct within the budget), or force (BENCH_ROOM_RELAY=force: no WebRTC at all). */
export const ROOM_RELAY = process.env.BENCH_ROOM_RELAY === 'force' ? 'force' : 'auto';
const CARRY_WAIT_MS = env('BENCH_ROOM_CARRY_WAIT_MS', 60_000);
const SETTLE_WAIT_MS = env('BENCH_ROOM_SETTLE_WAIT_MS', 60_000);
/** Links are settled after this long with no link change (ms). */
const SETTLED_AFTER_MS = 5_000;
/**
 * The text runs, 100 texts each (issue 10: p50/p99 over 100 texts): a burst (50 texts a second through
 * the room, a stress figure), then a busy room's pace (4 a second, what the target is about).
 */
export const TEXT_RUNS = [
  { run: 'fanout', texts: 100, spacingMs: 20 },
  { run: 'paced', texts: 100, spacingMs: 250 },
] as const;
const IMAGE_BYTES = 1024 * 1024;
const IMAGE_ROUNDS = 5;
const ROUND_WAIT_MS = 60_000;
/** A quiet window after the links settled, to measure what an idle room costs (ms). */
const IDLE_WINDOW_MS = 5_000;
/** Issue 10's targets. */
export const TARGET_READY_MS = 2_000;
export const TARGET_TEXT_P99_MS = 250;
/** shared/limits.ts DIRECT_LINKS_MAX once the direct-link budget exists; undefined before. */
export const DIRECT_LINKS_MAX = (limits as Record<string, unknown>).DIRECT_LINKS_MAX as number | undefined;
/**
 * The budget the peers run with: DIRECT_LINKS_MAX, or BENCH_ROOM_LINKS (MeshOptions.directLinksMax).
 * 50 peers share this machine's cores, so its idle links cost 50 machines' worth (client/mesh/README.md).
 */
export const ROOM_LINKS = process.env.BENCH_ROOM_LINKS ? Number(process.env.BENCH_ROOM_LINKS) : DIRECT_LINKS_MAX;

const now = () => performance.timeOrigin + performance.now();

export interface RoomResult {
  peers: number;
  processes: number;
  /** From the first join until every peer listed every other (ms; NaN: not within the wait). */
  allSeenMs: number;
  /** From the first join until every ordered pair's link carried (relay or direct) at once. */
  allCarryingMs: number;
  /** From the first join until the last link change before the first 5 s with none (NaN: none within the wait). */
  settledMs: number;
  /** Link changes after that (the texts and images ran after it), and the last one, from the first join. */
  changesAfterSettled: number;
  lastLinkChangeMs: number;
  /** Unordered pairs by final link ('direct', 'relay', or 'a/b' when the two sides differ). */
  pairKinds: Record<string, number>;
  /** Most RTCPeerConnections any one peer held at once (made and not closed), and the most any peer made. */
  maxPeerConnections: number;
  maxPeerConnectionsMade: number;
  directLinksMax: number | null;
  /** Per pair, from the later peer's join until both its links carried. */
  pairReady: Spread & { within: number; pairs: number };
  /** The text each newcomer sends the moment it is online, to each peer it lists then: from the newcomer's join; expected = those sent. */
  joinText: Spread & { within: number; expected: number };
  /** Per text run (TEXT_RUNS), sender k % peers: per text, until the last of the others had it; and per delivery. */
  texts: Record<(typeof TEXT_RUNS)[number]['run'], { toAll: Spread; delivery: Spread & { missing: number } }>;
  /** 1 MiB image to everyone else, per round: until the last had it; verified receipts of expected. */
  imageMs: number[];
  imageMedianMs: number;
  imageReceipts: { verified: number; expected: number };
  errors: Record<string, number>;
  errorSamples: Record<string, string[]>;
  /** Processes that died during the run (how), and so the peers lost with them: later figures count the living. */
  processesEnded: Record<string, string>;
  peersLost: number;
  /**
   * CPU time (user + system) of the server and every room process in each phase (ms), and the wall
   * time of the phase: unlike the wall times above, barely moved by other work on the machine.
   */
  cpu: Record<CpuPhase, { cpuMs: number; serverCpuMs: number; wallMs: number }>;
}

export type CpuPhase = 'joins' | 'idle' | 'texts' | 'paced texts' | 'images';

async function registerAll(register: (name: string) => Promise<string>, count: number): Promise<string[]> {
  const tokens: string[] = [];
  // A few at a time: the server hashes two passwords at once and queues a bounded number.
  for (let i = 0; i < count; i += 8) tokens.push(...(await Promise.all(Array.from({ length: Math.min(8, count - i) }, (_, k) => register(roomUsername(i + k))))));
  return tokens;
}

export async function roomScenario(log: (line: string) => void = (l) => console.error(l)): Promise<RoomResult> {
  const n = ROOM_PEERS;
  const server = await startBenchServer(ROOM_RELAY);
  const state = new RoomState(n);
  const procs = new RoomProcesses(ROOM_PROCS, (e) => state.add(e));
  const debug = process.env.BENCH_ROOM_DEBUG
    ? setInterval(() => log(`debug: pcs open ${state.pcsOpen.reduce((a, b) => a + b, 0)}, made ${state.pcsMade.reduce((a, b) => a + b, 0)}, carrying ${state.carrying}`), 2000)
    : undefined;
  const cpuTotal = () => ({ server: cpuMsOf(server.pid), peers: procs.pids().reduce<number>((sum, pid) => sum + cpuMsOf(pid), 0) });
  const cpu = {} as RoomResult['cpu'];
  let phaseStart = { cpu: { server: 0, peers: 0 }, wall: 0 };
  const phase = (name: CpuPhase | null) => {
    const mark = { cpu: cpuTotal(), wall: now() };
    if (name) cpu[name] = { cpuMs: mark.cpu.server + mark.cpu.peers - phaseStart.cpu.server - phaseStart.cpu.peers, serverCpuMs: mark.cpu.server - phaseStart.cpu.server, wallMs: mark.wall - phaseStart.wall };
    phaseStart = mark;
  };
  try {
    const tokens = await registerAll((name) => server.registerAndLogin(name), n);
    if (!(await procs.ready())) throw new Error('room processes did not start');

    // Joins, JOIN_SPACING_MS apart (timers pace them; each peer stamps its own join).
    phase(null);
    const t0 = now();
    for (let i = 0; i < n; i++) {
      const wait = t0 + i * JOIN_SPACING_MS - now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      procs.send(i, { cmd: 'join', index: i, wsUrl: server.wsUrl, token: tokens[i], roomSize: n });
    }
    await procs.until(state.allJoined, 10_000);
    const firstJoin = Math.min(...state.joinedAt);
    log(`room: ${n} peers joined in ${((Math.max(...state.joinedAt) - firstJoin) / 1000).toFixed(1)} s`);
    await procs.until(() => state.allSeen(), CARRY_WAIT_MS);
    const carried = await procs.until(state.allCarrying, CARRY_WAIT_MS);
    log(`room: every pair carries: ${carried} (${state.carrying} of ${state.orderedPairs} links)`);
    phase('joins');
    const settled = await procs.until(() => now() - state.lastLinkChangeAt >= SETTLED_AFTER_MS, SETTLE_WAIT_MS);
    const settledAt = settled ? state.lastLinkChangeAt : NaN;
    const changesBefore = state.linkEvents.length;
    log(`room: links settled: ${settled}`);
    await procs.until(() => state.textsOf('join').length >= state.joinTextsSent, 1_000);
    phase(null);
    await new Promise((r) => setTimeout(r, IDLE_WINDOW_MS));
    phase('idle');

    // Text fan-out: each text from the next peer in turn.
    const living = () => Array.from({ length: n }, (_, i) => i).filter((i) => procs.alive(i));
    const textLiving = living();
    for (const { run, texts, spacingMs } of TEXT_RUNS) {
      for (let k = 0; k < texts; k++) {
        const from = textLiving[k % textLiving.length];
        procs.send(from, { cmd: 'text', index: from, run, i: k });
        await new Promise((r) => setTimeout(r, spacingMs));
      }
      const textsExpected = texts * (textLiving.length - 1);
      await procs.until(() => state.textsOf(run).length >= textsExpected, 30_000);
      log(`room: texts (${run}) delivered ${state.textsOf(run).length} of ${textsExpected}`);
      phase(run === 'fanout' ? 'texts' : 'paced texts');
    }

    // 1 MiB images, each round from another peer (round 0 warms up and is not counted).
    const imageMs: number[] = [];
    let verified = 0;
    let expected = 0;
    for (let r = 0; r <= IMAGE_ROUNDS; r++) {
      const run = `img${r}`;
      const peers = living();
      const sender = peers[(r * 7 + 3) % peers.length];
      const others = peers.length - 1;
      procs.send(sender, { cmd: 'image', index: sender, run, size: IMAGE_BYTES });
      await procs.until(() => state.imagesOf(run).length >= others && state.imagesSent.has(run), ROUND_WAIT_MS);
      const got = state.imagesOf(run);
      const sent = state.imagesSent.get(run);
      const good = got.filter((g) => g.ok && g.sha256 === sent?.sha256 && g.index !== sender);
      log(`room: image round ${r}: ${good.length} of ${others} verified`);
      if (r === 0) continue;
      verified += good.length;
      expected += others;
      imageMs.push(sent && good.length === others ? Math.max(...good.map((g) => g.at)) - sent.startedAt : Infinity);
    }
    phase('images');
    const peersLost = n - living().length;
    return figures(state, { cpu, firstJoin, settledAt, changesAfterSettled: settled ? state.linkEvents.length - changesBefore : NaN, imageMs, verified, expected, textLiving: textLiving.length, ended: procs.ended, peersLost });
  } finally {
    clearInterval(debug);
    await procs.stop();
    await server.stop();
  }
}

interface RunFacts {
  cpu: RoomResult['cpu'];
  firstJoin: number;
  settledAt: number;
  changesAfterSettled: number;
  imageMs: number[];
  verified: number;
  expected: number;
  /** Peers alive for the text run (its senders and receivers). */
  textLiving: number;
  ended: Map<number, string>;
  peersLost: number;
}

function figures(state: RoomState, run: RunFacts): RoomResult {
  const n = state.size;
  const { firstJoin } = run;
  const pairReady = state.pairReadyAfterJoin();
  const joinTexts = state.textsOf('join').map((t) => t.at - state.joinedAt[t.from]);
  const texts = {} as RoomResult['texts'];
  for (const { run: name, texts: count } of TEXT_RUNS) {
    const got = state.textsOf(name);
    const toAll: number[] = [];
    for (let k = 0; k < count; k++) {
      const copies = got.filter((t) => t.i === k);
      toAll.push(copies.length === run.textLiving - 1 ? Math.max(...copies.map((t) => t.at - t.sentAt)) : Infinity);
    }
    texts[name] = { toAll: spread(toAll), delivery: { ...spread(got.map((t) => t.at - t.sentAt)), missing: count * (run.textLiving - 1) - got.length } };
  }
  return {
    peers: n,
    processes: ROOM_PROCS,
    allSeenMs: Math.max(...state.allSeenAt) - firstJoin,
    allCarryingMs: state.allCarryingAt() - firstJoin,
    settledMs: run.settledAt - firstJoin,
    changesAfterSettled: run.changesAfterSettled,
    lastLinkChangeMs: state.lastLinkChangeAt - firstJoin,
    pairKinds: Object.fromEntries(state.pairKinds()),
    maxPeerConnections: Math.max(...state.pcsMax),
    maxPeerConnectionsMade: Math.max(...state.pcsMade),
    directLinksMax: ROOM_LINKS ?? null,
    pairReady: { ...spread(pairReady), within: pairReady.filter((ms) => ms <= TARGET_READY_MS).length, pairs: pairReady.length },
    joinText: { ...spread(joinTexts), within: joinTexts.filter((ms) => ms <= TARGET_READY_MS).length, expected: state.joinTextsSent },
    texts,
    imageMs: run.imageMs,
    imageMedianMs: [...run.imageMs].sort((a, b) => a - b)[Math.floor(run.imageMs.length / 2)],
    imageReceipts: { verified: run.verified, expected: run.expected },
    errors: Object.fromEntries(state.errors),
    errorSamples: Object.fromEntries(state.errorSamples),
    processesEnded: Object.fromEntries([...run.ended].map(([k, v]) => [String(k), v])),
    peersLost: run.peersLost,
    cpu: run.cpu,
  };
}
