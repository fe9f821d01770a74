// `npm run bench:load` (through run.sh, which raises `ulimit -n`): CLIENTS authenticated WebSocket
// clients, in CLIENT_PROCESSES processes of their own, against one server in another process, on
// loopback. Measures connect+login rate, join/leave delivery to every client, server memory per
// idle connection, event-loop delay during a login burst, relay throughput and signaling latency.
// Then the restart storm: the node is killed and started again on its store and port, and every
// client reconnects by itself with the signaling client's backoff and jitter and resumes with its
// token; timed until all are back and in everyone's list, against the cold connect rate above.
// Prints a table and writes bench/results/load.json.
//
// Then the cluster run (LOAD_CLUSTER=0 skips it): the same figures with CLUSTER_NODES nodes, each in
// its own process, on a real Redis and PostgreSQL started here, the clients spread over the nodes
// (one client process per node), the probe joining on the first node; relay throughput within one
// node and across two. Printed side by side with the single node; bench/results/load-cluster.json.
//
// Accounts: registering 10,000 accounts would take minutes of Argon2id. ACCOUNTS accounts are
// registered and logged in through the real HTTP API, and each session token is used by
// CLIENTS / ACCOUNTS connections, each with its own peer secret, hence its own peer id: to the
// server these are distinct peers (like tabs and devices of one user), authenticated the real way.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { PASSWORD_HASH_CONCURRENCY, PASSWORD_HASH_QUEUE_MAX, PRESENCE_FLUSH_MS } from '../../shared/limits';
import { benchUsername, createAccounts, loginAsClients } from './accounts';
import { Child } from './child';
import { epochNow, type DelaySample, type FlushSample, type FromClients, type FromServer, type MemorySample, type PresenceHeard, type ToClients, type ToServer } from './ipc';
import { authenticate, closeSocket, connectProbe, knows, openSocket, type Probe } from './probe';
import { round, summarize, type Summary } from './stats';
import { RELAY_FRAMES, relayThroughput, SIGNALS, signalingLatencies } from './traffic';
import { postgresBinDir, redisServerPath, startPostgres, startRedis } from '../../test/helpers/engines';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const RESULTS_FILE = path.resolve(HERE, '..', 'results', 'load.json');
const CLUSTER_RESULTS_FILE = path.resolve(HERE, '..', 'results', 'load-cluster.json');
/** Connections being opened or authenticated at once, over all client processes. */
const CONNECTS_IN_FLIGHT = 400;
/** Nodes of the cluster run (each in its own process, with one client process of its own). */
const CLUSTER_NODES = 3;

function envInt(name: string, fallback: number): number {
  const value = Number(process.env[name] ?? fallback);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} must be a positive integer`);
  return value;
}

const CLIENTS = envInt('LOAD_CLIENTS', 10_000);
const CLIENT_PROCESSES = envInt('LOAD_CLIENT_PROCESSES', 2);
/** Accounts registered through the API; also the size of the simultaneous login burst. */
const ACCOUNTS = 100;
const JOIN_ROUNDS = 5;
/** Quiet time before each join, so it is a join in a settled room (the leave follows at once). */
const JOIN_ROUND_GAP_MS = 1_000;
const RELAY_RUNS = 3;
const SIGNAL_RUNS = 2;
/** Event-loop delay is also sampled this long with no burst, for comparison (ms). */
const IDLE_DELAY_WINDOW_MS = 2_000;
/** Targets of issue 5. */
const TARGET_JOIN_ALL_MS = 500;
const TARGET_BYTES_PER_CONNECTION = 16 * 1024;
const TARGET_DELAY_P99_MS = 50;
/** Bounds (ms). */
const TOTAL_TIMEOUT_MS = 15 * 60_000;
const SERVER_START_TIMEOUT_MS = 30_000;
const ACCOUNTS_TIMEOUT_MS = 120_000;
const CONNECT_TIMEOUT_MS = 8 * 60_000;
const WATCH_TIMEOUT_MS = 15_000;
/** The restart storm: how long all clients get to be back and complete after the kill (ms). */
const STORM_TIMEOUT_MS = 180_000;
/** Target of issue 12: every client back after a restart within this (ms, from the kill). */
const TARGET_STORM_MS = 30_000;
const REPORT_TIMEOUT_MS = 30_000;

type ServerChild = Child<ToServer, FromServer>;
type ClientChild = Child<ToClients, FromClients>;

const serverErrors: string[] = [];

function startServerProcess(name = 'server', env: Record<string, string> = {}): ServerChild {
  // LOAD_SERVER_NODE_FLAGS, e.g. "--trace-gc" or "--cpu-prof", is for looking into a result.
  const extraFlags = (process.env.LOAD_SERVER_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  return new Child<ToServer, FromServer>(
    name,
    path.join(HERE, 'server-process.ts'),
    ['--expose-gc', ...extraFlags],
    (m) => {
      if (m.ev === 'error' && serverErrors.push(m.message) <= 3) console.error(`${name}: ${m.message}`);
    },
    env,
  );
}

function startClientProcess(index: number): ClientChild {
  const flags = (process.env.LOAD_CLIENT_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  return new Child<ToClients, FromClients>(`clients-${index}`, path.join(HERE, 'client-process.ts'), flags, (m) => {
    if (m.ev === 'progress') process.stdout.write(`  clients-${index}: ${m.connected} connected\n`);
  });
}

const memoryOne = (server: ServerChild) => server.request({ cmd: 'memory' }, (m) => (m.ev === 'memory' ? m.memory : undefined), REPORT_TIMEOUT_MS);

/** The memory of every node, added up (a cluster's cost per connection is all of its nodes'). */
async function memoryOf(servers: ServerChild[]): Promise<MemorySample> {
  const samples = await Promise.all(servers.map(memoryOne));
  const sum = (key: keyof MemorySample) => samples.reduce((n, s) => n + s[key], 0);
  return { rssBytes: sum('rssBytes'), heapUsedBytes: sum('heapUsedBytes'), externalBytes: sum('externalBytes'), arrayBuffersBytes: sum('arrayBuffersBytes') };
}

async function delayDuring(server: ServerChild, work: () => Promise<unknown>): Promise<DelaySample> {
  server.send({ cmd: 'delay-start' });
  await work();
  return server.request({ cmd: 'delay-stop' }, (m) => (m.ev === 'delay' ? m.delay : undefined), REPORT_TIMEOUT_MS);
}

/** Connects every client (client process i to node i % nodes); resolves with the count and the rate. */
async function connectClients(clients: ClientChild[], wsUrls: string[], tokens: string[]) {
  const started = performance.now();
  const results = await Promise.all(
    clients.map((client, i) => {
      const count = Math.floor(CLIENTS / clients.length) + (i < CLIENTS % clients.length ? 1 : 0);
      // Each process starts at another token, so every account gets a similar number of peers.
      const offset = (i * count) % tokens.length;
      const rotated = [...tokens.slice(offset), ...tokens.slice(0, offset)];
      // The same connections in flight in total whatever the number of client processes (a cluster run has more).
      const concurrency = Math.ceil(CONNECTS_IN_FLIGHT / clients.length);
      return client.request({ cmd: 'connect', wsUrl: wsUrls[i % wsUrls.length], tokens: rotated, count, concurrency }, (m) => (m.ev === 'connected' ? m : undefined), CONNECT_TIMEOUT_MS);
    }),
  );
  const elapsedMs = performance.now() - started;
  const connected = results.reduce((n, r) => n + r.connected, 0);
  const failed = results.reduce((n, r) => n + r.failed, 0);
  const retries = results.reduce((n, r) => n + r.retries, 0);
  const firstError = results.find((r) => r.firstError)?.firstError;
  return { connected, failed, retries, firstError, elapsedMs, perSecond: connected / (elapsedMs / 1000), authMs: summarize(results.flatMap((r) => r.authLatenciesMs)) };
}

/** Arms every client to record when it first sees `needle`; resolves once all are armed. */
async function arm(clients: ClientChild[], id: number, needle: string): Promise<void> {
  await Promise.all(clients.map((c) => c.request({ cmd: 'watch', id, needle }, (m) => (m.ev === 'armed' && m.id === id ? true : undefined), REPORT_TIMEOUT_MS)));
}

/** The delivery time of watch `id` at every client, relative to `t0` (NaN: not seen in time). */
async function deliveries(clients: ClientChild[], id: number, t0: number): Promise<{ latencies: number[]; unexpectedCloses: number }> {
  const pick = (m: FromClients) => (m.ev === 'watched' && m.id === id ? m : undefined);
  const reports = await Promise.all(
    clients.map((c) =>
      c.next(pick, WATCH_TIMEOUT_MS).catch(() => c.request({ cmd: 'watch-report', id }, pick, REPORT_TIMEOUT_MS)),
    ),
  );
  return { latencies: reports.flatMap((r) => r.times.map((t) => t - t0)), unexpectedCloses: reports.reduce((n, r) => n + r.unexpectedCloses, 0) };
}

interface DeliveryRound {
  p50Ms: number;
  p99Ms: number;
  allMs: number;
  missed: number;
}

function deliveryRound(latencies: number[]): DeliveryRound {
  const seen = latencies.filter((x) => !Number.isNaN(x));
  const s = summarize(seen);
  return { p50Ms: round(s.p50), p99Ms: round(s.p99), allMs: round(s.max), missed: latencies.length - seen.length };
}

/** Joins and leaves with a probe JOIN_ROUNDS times; the clock starts when the probe sends auth (join) or closes (leave). */
async function joinLeaveRounds(clients: ClientChild[], wsUrl: string, probeToken: string, probeUsername: string) {
  const joins: DeliveryRound[] = [];
  const leaves: DeliveryRound[] = [];
  const all = { join: [] as number[], leave: [] as number[] };
  /** When each counted round's join and leave started (epochNow), for the server-side breakdown. */
  const started = { join: [] as number[], leave: [] as number[] };
  let unexpectedCloses = 0;
  // Round 0 is not counted: right after the connect ramp, presence is still flushing its backlog.
  for (let r = 0; r <= JOIN_ROUNDS; r++) {
    await new Promise((resolve) => setTimeout(resolve, JOIN_ROUND_GAP_MS));
    const ws = await openSocket(wsUrl);
    await arm(clients, 2 * r, `"username":"${probeUsername}"`);
    const joinT0 = epochNow();
    const probe = await authenticate(ws, probeToken);
    const join = await deliveries(clients, 2 * r, joinT0);
    await arm(clients, 2 * r + 1, probe.self.peerId);
    const leaveT0 = epochNow();
    await closeSocket(ws);
    const leave = await deliveries(clients, 2 * r + 1, leaveT0);
    joins.push(deliveryRound(join.latencies));
    leaves.push(deliveryRound(leave.latencies));
    if (r > 0) {
      all.join.push(...join.latencies);
      all.leave.push(...leave.latencies);
      started.join.push(joinT0);
      started.leave.push(leaveT0);
    }
    unexpectedCloses = Math.max(unexpectedCloses, leave.unexpectedCloses);
    process.stdout.write(`  round ${r}${r === 0 ? ' (after the ramp, not counted)' : ''}: join reached all in ${joins[r].allMs} ms, leave in ${leaves[r].allMs} ms\n`);
  }
  const [afterRamp] = joins.splice(0, 1);
  leaves.splice(0, 1);
  return { joins, leaves, afterRamp, join: deliveryRound(all.join), leave: deliveryRound(all.leave), unexpectedCloses, started };
}

/**
 * Where a join's or a leave's time to everyone went, per round, from the server's records: until
 * the server heard it (auth, or the socket's close), waiting for the flush (spacing and credit),
 * the flush itself, and the rest until the slowest client (p99) read it. Medians over the rounds.
 */
function presenceBreakdown(kind: 'join' | 'leave', t0s: number[], rounds: DeliveryRound[], heard: PresenceHeard[], flushes: FlushSample[]) {
  const parts = t0s.map((t0, i) => {
    const h = heard.find((e) => e.kind === kind && e.at >= t0);
    const f = h && flushes.find((x) => x.startedAt >= h.at - 1 && (kind === 'join' ? x.joined : x.left) > 0);
    if (!h || !f) return undefined;
    return { heardMs: h.at - t0, waitMs: f.startedAt - h.at, flushMs: f.ms, toP99Ms: rounds[i].p99Ms - (f.startedAt + f.ms - t0) };
  });
  const known = parts.filter((p) => p !== undefined);
  const median = (key: keyof (typeof known)[number]) => round(summarize(known.map((p) => p[key])).p50);
  const total = (p: (typeof known)[number]) => p.heardMs + p.waitMs + p.flushMs + p.toP99Ms;
  const slowest = known.reduce<(typeof known)[number] | undefined>((worst, p) => (!worst || total(p) > total(worst) ? p : worst), undefined);
  const rounded = slowest && { heardMs: round(slowest.heardMs), waitForFlushMs: round(slowest.waitMs), flushMs: round(slowest.flushMs), flushEndToP99Ms: round(slowest.toP99Ms) };
  return { rounds: known.length, heardMs: median('heardMs'), waitForFlushMs: median('waitMs'), flushMs: median('flushMs'), flushEndToP99Ms: median('toP99Ms'), slowestRound: rounded };
}

/** ACCOUNTS logins at once, each retrying a 503 by itself as the page and the CLI do. */
async function loginBurst(server: ServerChild, httpUrl: string) {
  let outcomes: Awaited<ReturnType<typeof loginAsClients>>[] = [];
  const started = performance.now();
  const delay = await delayDuring(server, async () => {
    outcomes = await Promise.all(Array.from({ length: ACCOUNTS }, (_, i) => loginAsClients(httpUrl, benchUsername(i))));
  });
  const elapsedMs = performance.now() - started;
  const busy = outcomes.filter((o) => !o.ok && o.status === 503).length;
  const ok = outcomes.filter((o) => o.ok).length;
  const retries = outcomes.reduce((n, o) => n + o.retries, 0);
  return { logins: ACCOUNTS, ok, busy503: busy, retried503s: retries, other: ACCOUNTS - ok - busy, elapsedMs: round(elapsedMs), delay };
}

/** Relay and signaling between a peer on `wsUrl` and one on `otherWsUrl` (another node, or the same). */
async function traffic(wsUrl: string, otherWsUrl: string, token: string) {
  const [a, b] = await Promise.all([connectProbe(wsUrl, token), connectProbe(otherWsUrl, token)]);
  // Each must be online on the other's node before the first frame, or it is refused UNKNOWN_PEER.
  await knows(a, b.self.peerId);
  await knows(b, a.self.peerId);
  const relayMiBps: number[] = [];
  for (let i = 0; i < RELAY_RUNS; i++) relayMiBps.push(round(await relayThroughput(a, b)));
  const signals: number[] = [];
  for (let i = 0; i < SIGNAL_RUNS; i++) signals.push(...(await signalingLatencies(a, b)));
  await Promise.all([closeSocket(a.ws), closeSocket(b.ws)]);
  const s = summarize(signals);
  return { relayMiBps, relayFramesPerRun: RELAY_FRAMES, signaling: { count: s.count, p50Ms: round(s.p50, 2), p99Ms: round(s.p99, 2), maxMs: round(s.max, 2) } };
}

/** Starts the killed node again on its store and port. */
type Restart = (port: string) => ServerChild;

/**
 * The restart storm: every client is told to reconnect by itself when cut, the node is killed
 * (SIGKILL) and started again on the same store and port; resolves once every client is back and
 * knows every other, with the event-loop delay of the new process meanwhile.
 */
async function restartStorm(servers: ServerChild[], clients: ClientChild[], connected: number, wsUrl: string, restart: Restart) {
  // Clients cut since they connected (slow readers on a saturated machine) are not in the room: the others must know the others.
  const counts = await Promise.all(clients.map((c) => c.request({ cmd: 'open-count' }, (m) => (m.ev === 'open-count' ? m.open : undefined), REPORT_TIMEOUT_MS)));
  const online = counts.reduce((a, b) => a + b, 0);
  await Promise.all(clients.map((c) => c.request({ cmd: 'storm-arm', expect: online - 1 }, (m) => (m.ev === 'storm-armed' ? true : undefined), REPORT_TIMEOUT_MS)));
  const killedAt = epochNow();
  await servers[0].kill();
  const server = (servers[0] = restart(new URL(wsUrl).port));
  await server.next((m) => (m.ev === 'ready' ? m : undefined), SERVER_START_TIMEOUT_MS);
  const readyAt = epochNow();
  server.send({ cmd: 'delay-start' });
  const pick = (m: FromClients) => (m.ev === 'storm' ? m : undefined);
  const outcomes = await Promise.all(clients.map((c) => c.next(pick, STORM_TIMEOUT_MS).catch(() => c.request({ cmd: 'storm-report' }, pick, REPORT_TIMEOUT_MS))));
  const delay = await server.request({ cmd: 'delay-stop' }, (m) => (m.ev === 'delay' ? m.delay : undefined), REPORT_TIMEOUT_MS);
  const backAt = outcomes.flatMap((o) => o.backAt);
  const completeAt = outcomes.flatMap((o) => o.completeAt);
  const back = backAt.filter((t) => !Number.isNaN(t));
  const complete = completeAt.filter((t) => !Number.isNaN(t));
  const since = (t0: number, times: number[]) => summarize(times.map((t) => t - t0));
  const lastBack = Math.max(...back);
  return {
    clients: online,
    cutBeforeStorm: connected - online,
    restartMs: readyAt - killedAt,
    back: back.length,
    complete: complete.length,
    backSinceKill: since(killedAt, back),
    completeSinceKill: since(killedAt, complete),
    // Resumes per second while the node was up: the figure to hold against the cold connect rate.
    backPerSecond: back.length / ((lastBack - readyAt) / 1000),
    failedAttempts: outcomes.reduce((n, o) => n + o.failedAttempts, 0),
    welcomes: outcomes.reduce((w, o) => ({ whole: w.whole + o.welcomes.whole, partial: w.partial + o.welcomes.partial, bytes: w.bytes + o.welcomes.bytes }), { whole: 0, partial: 0, bytes: 0 }),
    lostAgain: outcomes.reduce((n, o) => n + o.lostAgain, 0),
    closeCodes: outcomes.reduce<Record<number, number>>((all, o) => {
      for (const [code, n] of Object.entries(o.closeCodes)) all[Number(code)] = (all[Number(code)] ?? 0) + n;
      return all;
    }, {}),
    fatal: outcomes.reduce((n, o) => n + o.fatal, 0),
    firstFatalCode: outcomes.find((o) => o.firstFatalCode !== undefined)?.firstFatalCode,
    delay,
  };
}

const perConnection = (after: MemorySample, before: MemorySample, n: number) => ({
  rssBytes: Math.round((after.rssBytes - before.rssBytes) / n),
  heapUsedBytes: Math.round((after.heapUsedBytes - before.heapUsedBytes) / n),
  externalBytes: Math.round((after.externalBytes - before.externalBytes) / n),
});

const roundDelay = (d: DelaySample) => ({ p50Ms: round(d.p50Ms), p99Ms: round(d.p99Ms), maxMs: round(d.maxMs), samples: d.samples, gcPauses: d.gcPauses, gcMaxMs: round(d.gcMaxMs), gcTotalMs: round(d.gcTotalMs) });
const flushSummary = (s: Summary) => ({ count: s.count, p50Ms: round(s.p50, 2), p99Ms: round(s.p99, 2), maxMs: round(s.max, 2) });

async function run(servers: ServerChild[], clients: ClientChild[], restart?: Restart) {
  const nodes = await Promise.all(servers.map((s) => s.next((m) => (m.ev === 'ready' ? m : undefined), SERVER_START_TIMEOUT_MS)));
  const [server] = servers;
  const { wsUrl, httpUrl } = nodes[0];
  console.log(`server ${httpUrl}; ${ACCOUNTS} accounts via the API...`);
  const accountsStarted = performance.now();
  const [probeToken, ...tokens] = await withTimeout(createAccounts(httpUrl, ACCOUNTS + 1), ACCOUNTS_TIMEOUT_MS, 'accounts');
  const accountsMs = performance.now() - accountsStarted;
  const probeUsername = benchUsername(0);
  const baseline = await memoryOf(servers);

  console.log(`connecting ${CLIENTS} clients from ${clients.length} processes...`);
  const connect = await connectClients(clients, nodes.map((n) => n.wsUrl), tokens);
  console.log(`  ${connect.connected} connected in ${round(connect.elapsedMs / 1000)} s (${connect.failed} failed, ${connect.retries} retried${connect.firstError ? `; first refusal: ${connect.firstError}` : ''})`);

  console.log('join/leave rounds...');
  await server.request({ cmd: 'flushes' }, (m) => (m.ev === 'flushes' ? m : undefined), REPORT_TIMEOUT_MS);
  const presence = await joinLeaveRounds(clients, wsUrl, probeToken, probeUsername);
  const { flushes, heard } = await server.request({ cmd: 'flushes' }, (m) => (m.ev === 'flushes' ? m : undefined), REPORT_TIMEOUT_MS);
  const breakdown = {
    join: presenceBreakdown('join', presence.started.join, presence.joins, heard, flushes),
    leave: presenceBreakdown('leave', presence.started.leave, presence.leaves, heard, flushes),
  };

  const idle = await memoryOf(servers);
  console.log('event-loop delay, idle and during the login burst...');
  const idleDelay = await delayDuring(server, () => new Promise((resolve) => setTimeout(resolve, IDLE_DELAY_WINDOW_MS)));
  const burst = await loginBurst(server, httpUrl);
  console.log('relay and signaling...');
  const trafficResult = await traffic(wsUrl, wsUrl, probeToken);
  const acrossNodes = nodes.length > 1 ? await traffic(wsUrl, nodes[1].wsUrl, probeToken) : undefined;
  let storm: Awaited<ReturnType<typeof restartStorm>> | undefined;
  if (restart) {
    console.log(`restart storm: the node is killed and started again; ${connect.connected} clients reconnect by themselves...`);
    storm = await restartStorm(servers, clients, connect.connected, wsUrl, restart);
  }

  return {
    accountsMs,
    connect,
    presence,
    flushes: flushSummary(summarize(flushes.filter((f) => f.recipients >= connect.connected).map((f) => f.ms))),
    breakdown,
    memory: { baseline, idle, perConnection: perConnection(idle, baseline, connect.connected) },
    idleDelay,
    burst,
    traffic: trafficResult,
    acrossNodes,
    storm,
  };
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}

async function report(r: Awaited<ReturnType<typeof run>>, nodes: number, clientProcesses: number, file: string) {
  const perConn = r.memory.perConnection;
  const joinAll = Math.max(...r.presence.joins.map((j) => j.allMs));
  const results = {
    date: new Date().toISOString(),
    conditions: {
      clients: CLIENTS,
      clientProcesses,
      nodes,
      cpus: cpus().length,
      node: process.version,
      loopback: true,
      accounts: `${ACCOUNTS} accounts registered and logged in through the HTTP API; each token is shared by ~${Math.ceil(CLIENTS / ACCOUNTS)} connections with distinct peer secrets (distinct peer ids)`,
      presenceFlushMs: PRESENCE_FLUSH_MS,
      passwordHashConcurrency: PASSWORD_HASH_CONCURRENCY,
      passwordHashQueueMax: PASSWORD_HASH_QUEUE_MAX,
      joinClock: `join: from the probe sending auth (after ${JOIN_ROUND_GAP_MS} ms without presence changes); leave: from the probe starting its close, right after its join reached everyone; until each client receives the presence message naming it`,
    },
    accounts: { count: ACCOUNTS + 1, ms: round(r.accountsMs) },
    connect: { connected: r.connect.connected, failed: r.connect.failed, retries: r.connect.retries, firstError: r.connect.firstError, seconds: round(r.connect.elapsedMs / 1000, 2), perSecond: round(r.connect.perSecond), authP50Ms: round(r.connect.authMs.p50), authP99Ms: round(r.connect.authMs.p99) },
    join: { ...r.presence.join, rounds: r.presence.joins, afterRampNotCounted: r.presence.afterRamp },
    leave: { ...r.presence.leave, rounds: r.presence.leaves },
    presenceBreakdown: { ...r.breakdown, clock: 'medians over the rounds: t0 -> server heard it (join: auth done; leave: close seen) -> flush started -> flush ended -> p99 client read it' },
    unexpectedCloses: r.presence.unexpectedCloses,
    presenceFlushWithAllOnline: r.flushes,
    memory: { ...r.memory, perConnection: perConn },
    eventLoopDelay: { idle: roundDelay(r.idleDelay), loginBurst: { ...r.burst, delay: roundDelay(r.burst.delay) } },
    relay: { miBps: r.traffic.relayMiBps, framesPerRun: r.traffic.relayFramesPerRun, acrossNodesMiBps: r.acrossNodes?.relayMiBps },
    signaling: r.traffic.signaling,
    signalingAcrossNodes: r.acrossNodes?.signaling,
    restartStorm: r.storm && {
      clients: r.storm.clients,
      cutBeforeStorm: r.storm.cutBeforeStorm,
      restartMs: round(r.storm.restartMs),
      back: r.storm.back,
      complete: r.storm.complete,
      allBackSinceKillMs: round(r.storm.backSinceKill.max),
      backSinceKillP50Ms: round(r.storm.backSinceKill.p50),
      allCompleteSinceKillMs: round(r.storm.completeSinceKill.max),
      backPerSecond: round(r.storm.backPerSecond),
      coldConnectPerSecond: round(r.connect.perSecond),
      failedAttempts: r.storm.failedAttempts,
      welcomes: r.storm.welcomes,
      lostAgain: r.storm.lostAgain,
      closeCodes: r.storm.closeCodes,
      fatal: r.storm.fatal,
      firstFatalCode: r.storm.firstFatalCode,
      delay: roundDelay(r.storm.delay),
      clock: 'from the SIGKILL of the node; back: welcomed again; complete: knows every other client (welcome + presence batches)',
    },
    targets: {
      joinReachesAllWithinMs: { target: TARGET_JOIN_ALL_MS, worst: joinAll, met: joinAll < TARGET_JOIN_ALL_MS && r.presence.join.missed === 0 },
      bytesPerIdleConnection: { target: TARGET_BYTES_PER_CONNECTION, rss: perConn.rssBytes, met: perConn.rssBytes < TARGET_BYTES_PER_CONNECTION },
      loginBurstDelayP99Ms: { target: TARGET_DELAY_P99_MS, measured: round(r.burst.delay.p99Ms), met: r.burst.delay.p99Ms < TARGET_DELAY_P99_MS },
      ...(r.storm && {
        restartStormAllBackAndCompleteMs: {
          target: TARGET_STORM_MS,
          measured: round(r.storm.completeSinceKill.max),
          met: r.storm.complete === r.storm.clients && r.storm.completeSinceKill.max < TARGET_STORM_MS,
        },
      }),
    },
    serverErrors: serverErrors.length,
  };
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(results, null, 2)}\n`);
  return results;
}

type Results = Awaited<ReturnType<typeof report>>;

function printTable(r: Results): void {
  const kib = (bytes: number) => `${round(bytes / 1024, 2)} KiB`;
  const met = (ok: boolean) => (ok ? 'met' : 'NOT MET');
  const t = r.targets;
  const rows: [string, string][] = [
    ['clients connected', `${r.connect.connected} (${r.connect.failed} failed, ${r.connect.retries} attempts retried) from ${r.conditions.clientProcesses} processes`],
    ['connect+login rate', `${r.connect.perSecond} /s (${r.connect.seconds} s; auth p50 ${r.connect.authP50Ms} ms, p99 ${r.connect.authP99Ms} ms, retries included)`],
    ['join to every client', `p50 ${r.join.p50Ms} ms, p99 ${r.join.p99Ms} ms, all ${r.join.allMs} ms (${r.join.missed} missed) - target < ${t.joinReachesAllWithinMs.target} ms: ${met(t.joinReachesAllWithinMs.met)}`],
    ['leave to every client', `p50 ${r.leave.p50Ms} ms, p99 ${r.leave.p99Ms} ms, all ${r.leave.allMs} ms (${r.leave.missed} missed)`],
    ...(['join', 'leave'] as const).map((k): [string, string] => {
      const b = r.presenceBreakdown[k];
      const w = b.slowestRound;
      const slowest = w ? `; slowest round: ${w.heardMs} / ${w.waitForFlushMs} / ${w.flushMs} / ${w.flushEndToP99Ms} ms` : '';
      return [`  ${k}, server side (medians)`, `heard ${b.heardMs} ms, waited ${b.waitForFlushMs} ms for the flush, flush ${b.flushMs} ms, then ${b.flushEndToP99Ms} ms to the p99 client (${b.rounds} rounds)${slowest}`];
    }),
    ['presence flush (all online)', `p50 ${r.presenceFlushWithAllOnline.p50Ms} ms, max ${r.presenceFlushWithAllOnline.maxMs} ms (${r.presenceFlushWithAllOnline.count} flushes)`],
    ['server memory / idle conn', `RSS ${kib(r.memory.perConnection.rssBytes)}, heap ${kib(r.memory.perConnection.heapUsedBytes)}, external ${kib(r.memory.perConnection.externalBytes)} - target < 16 KiB: ${met(t.bytesPerIdleConnection.met)}`],
    ['event-loop delay, idle', `p99 ${r.eventLoopDelay.idle.p99Ms} ms, max ${r.eventLoopDelay.idle.maxMs} ms`],
    ['event-loop delay, 100 logins', `p99 ${r.eventLoopDelay.loginBurst.delay.p99Ms} ms, max ${r.eventLoopDelay.loginBurst.delay.maxMs} ms - target < ${t.loginBurstDelayP99Ms.target} ms: ${met(t.loginBurstDelayP99Ms.met)}`],
    ['  gc pauses in the burst', `${r.eventLoopDelay.loginBurst.delay.gcPauses}, longest ${r.eventLoopDelay.loginBurst.delay.gcMaxMs} ms, total ${r.eventLoopDelay.loginBurst.delay.gcTotalMs} ms`],
    ['login burst outcome', `${r.eventLoopDelay.loginBurst.ok} ok, ${r.eventLoopDelay.loginBurst.busy503} failed busy (503) after ${r.eventLoopDelay.loginBurst.retried503s} retried 503s, ${r.eventLoopDelay.loginBurst.other} other, in ${r.eventLoopDelay.loginBurst.elapsedMs} ms`],
    ['relay throughput', `${r.relay.miBps.join(', ')} MiB/s (${r.relay.framesPerRun} x 64 KiB per run)`],
    ['signaling latency', `p50 ${r.signaling.p50Ms} ms, p99 ${r.signaling.p99Ms} ms (${r.signaling.count} signals)`],
  ];
  const st = r.restartStorm;
  if (st) {
    rows.push(
      ['restart storm: node back up', `${st.restartMs} ms after the kill`],
      ['  clients back (welcomed)', `${st.back}/${st.clients}${st.cutBeforeStorm ? ` (${st.cutBeforeStorm} cut before the storm, not counted)` : ''}: p50 ${st.backSinceKillP50Ms} ms, all ${st.allBackSinceKillMs} ms after the kill; ${st.backPerSecond} /s (cold connect ${st.coldConnectPerSecond} /s)`],
      ['  in everyone\'s list', `${st.complete}/${st.clients}, all ${st.allCompleteSinceKillMs} ms after the kill - target < ${TARGET_STORM_MS / 1000} s: ${met(t.restartStormAllBackAndCompleteMs?.met ?? false)}`],
      ['  welcomes after the kill', `${st.welcomes.partial} partial, ${st.welcomes.whole} whole; ${round(st.welcomes.bytes / 2 ** 20, 1)} MiB in all`],
      ['  attempts failed / lost again / fatal', `${st.failedAttempts} / ${st.lostAgain} / ${st.fatal}${st.firstFatalCode ? ` (first code ${st.firstFatalCode})` : ''}; close codes ${JSON.stringify(st.closeCodes)}`],
      ['  event-loop delay meanwhile', `p99 ${st.delay.p99Ms} ms, max ${st.delay.maxMs} ms`],
    );
  }
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log('');
  for (const [k, v] of rows) console.log(`${k.padEnd(width)}  ${v}`);
  console.log(`\nwritten to ${path.relative(process.cwd(), RESULTS_FILE)}`);
}

/** The single node and the cluster, side by side. */
function printComparison(single: Results, cluster: Results): void {
  const rows: [string, string, string][] = [
    ['', 'one node', `${cluster.conditions.nodes} nodes (Redis, PostgreSQL)`],
    ['clients connected (attempts retried)', `${single.connect.connected} (${single.connect.retries})`, `${cluster.connect.connected} (${cluster.connect.retries})`],
    ['connect+login rate', `${single.connect.perSecond} /s`, `${cluster.connect.perSecond} /s`],
    ['auth p99', `${single.connect.authP99Ms} ms`, `${cluster.connect.authP99Ms} ms`],
    ['join to every client p99 / all', `${single.join.p99Ms} / ${single.join.allMs} ms`, `${cluster.join.p99Ms} / ${cluster.join.allMs} ms`],
    ['leave to every client p99 / all', `${single.leave.p99Ms} / ${single.leave.allMs} ms`, `${cluster.leave.p99Ms} / ${cluster.leave.allMs} ms`],
    ['memory / idle conn (all nodes)', `${round(single.memory.perConnection.rssBytes / 1024, 2)} KiB`, `${round(cluster.memory.perConnection.rssBytes / 1024, 2)} KiB`],
    ['login burst (100)', `${single.eventLoopDelay.loginBurst.ok} ok, p99 delay ${single.eventLoopDelay.loginBurst.delay.p99Ms} ms`, `${cluster.eventLoopDelay.loginBurst.ok} ok, p99 delay ${cluster.eventLoopDelay.loginBurst.delay.p99Ms} ms`],
    ['relay within a node', `${single.relay.miBps.join(', ')} MiB/s`, `${cluster.relay.miBps.join(', ')} MiB/s`],
    ['relay across nodes', '-', `${cluster.relay.acrossNodesMiBps?.join(', ')} MiB/s`],
    ['signaling p99 (across nodes)', `${single.signaling.p99Ms} ms`, `${cluster.signaling.p99Ms} ms (${cluster.signalingAcrossNodes?.p99Ms} ms)`],
  ];
  const w0 = Math.max(...rows.map((r) => r[0].length));
  const w1 = Math.max(...rows.map((r) => r[1].length));
  console.log('');
  for (const [k, a, b] of rows) console.log(`${k.padEnd(w0)}  ${a.padEnd(w1)}  ${b}`);
  console.log(`\nwritten to ${path.relative(process.cwd(), CLUSTER_RESULTS_FILE)}`);
}

/** One run: `servers` started, one client process per entry of `clientCount`. */
async function runWith(servers: ServerChild[], clientProcesses: number, nodes: number, file: string, restart?: Restart): Promise<Results> {
  const clients = Array.from({ length: clientProcesses }, (_, i) => startClientProcess(i));
  try {
    return await report(await run(servers, clients, restart), nodes, clientProcesses, file);
  } finally {
    await Promise.all([...clients.map((c) => c.stop({ cmd: 'stop' })), ...servers.map((s) => s.stop({ cmd: 'stop' }))]);
  }
}

async function clusterRun(): Promise<Results | undefined> {
  if (process.env.LOAD_CLUSTER === '0') return undefined;
  if (!redisServerPath() || !postgresBinDir()) {
    console.log('\ncluster run skipped: it needs redis-server and PostgreSQL (apt-get install -y redis-server postgresql)');
    return undefined;
  }
  console.log(`\ncluster run: ${CLUSTER_NODES} nodes on a Redis and a PostgreSQL of their own...`);
  const [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
  try {
    // Started together: the schema migration takes an advisory lock, so one node creates it.
    const servers = Array.from({ length: CLUSTER_NODES }, (_, i) =>
      startServerProcess(`node${i + 1}`, { LOAD_REDIS_URL: redis.url, LOAD_POSTGRES_URL: postgres.url, LOAD_NODE_NAME: `node${i + 1}` }),
    );
    return await runWith(servers, CLUSTER_NODES, CLUSTER_NODES, CLUSTER_RESULTS_FILE);
  } finally {
    await Promise.all([redis.stop(), postgres.destroy()]);
  }
}

async function main(): Promise<void> {
  const deadline = setTimeout(() => {
    console.error(`load bench: over ${TOTAL_TIMEOUT_MS / 60_000} minutes, giving up`);
    process.exit(1);
  }, TOTAL_TIMEOUT_MS);
  try {
    // The single node keeps its store in a directory of ours, so that the restart storm starts it again on it.
    const dataDir = await mkdtemp(path.join(tmpdir(), 'chatroom-load-'));
    let single: Results;
    try {
      const env = { LOAD_DATA_DIR: dataDir };
      single = await runWith([startServerProcess('server', env)], CLIENT_PROCESSES, 1, RESULTS_FILE, (port) => startServerProcess('server', { ...env, LOAD_PORT: port }));
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
    printTable(single);
    const cluster = await clusterRun();
    if (cluster) printComparison(single, cluster);
  } finally {
    clearTimeout(deadline);
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
