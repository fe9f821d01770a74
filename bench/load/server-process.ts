// The server under load, alone in its process (forked by main.ts with --expose-gc): startServer,
// plus on-demand reports over IPC of its memory, event-loop delay and presence flush costs.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, PerformanceObserver, type IntervalHistogram } from 'node:perf_hooks';
import { startServer } from '../../rendezvous/server';
import { Presence } from '../../rendezvous/ws/presence';
import { epochNow, type FlushSample, type FromServer, type MemorySample, type PresenceHeard, type ToServer } from './ipc';

/** Event-loop delay sampling resolution (ms). */
const DELAY_RESOLUTION_MS = 10;
/** Presence flushes remembered (the bench needs the last few dozen). */
const FLUSHES_KEPT = 1_000;
/** GC pauses remembered for the delay windows. */
const GC_PAUSES_KEPT = 10_000;
/** gc passes before reading memory, so garbage of the last phase is not counted. */
const GC_PASSES = 3;

const reply = (message: FromServer) => process.send!(message);

// Times every presence flush that has recipients: the cost of one broadcast to everyone online,
// with what it carried; and when each join and leave was heard, so that the time a leave takes to
// reach everyone can be split into hearing it, waiting for the flush, and the flush itself.
const flushes: FlushSample[] = [];
const heard: PresenceHeard[] = [];
type Pending = { joined: Map<unknown, unknown>; left: Set<unknown> };
const originalFlush = Presence.prototype.flush;
Presence.prototype.flush = function timedFlush(this: Presence) {
  const recipients = this.size;
  const { joined, left } = this as unknown as Pending;
  const carried = { joined: joined.size, left: left.size };
  const startedAt = epochNow();
  const started = performance.now();
  originalFlush.call(this);
  if (recipients === 0 || carried.joined + carried.left === 0) return;
  flushes.push({ ms: performance.now() - started, recipients, startedAt, ...carried });
  if (flushes.length > FLUSHES_KEPT) flushes.shift();
};
/** The server heard a join or a leave now (the bench's split of a change's time to everyone). */
function heardChange(kind: 'join' | 'leave'): void {
  heard.push({ kind, at: epochNow() });
  if (heard.length > FLUSHES_KEPT) heard.shift();
}
const originalJoin = Presence.prototype.join;
Presence.prototype.join = function heardJoin(this: Presence, ...args: Parameters<Presence['join']>) {
  const joined = originalJoin.apply(this, args);
  if (joined) heardChange('join');
  return joined;
};
const originalLeave = Presence.prototype.leave;
Presence.prototype.leave = function heardLeave(this: Presence, ...args: Parameters<Presence['leave']>) {
  const left = originalLeave.apply(this, args);
  if (left) heardChange('leave');
  return left;
};

function memory(): MemorySample {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('server-process needs --expose-gc');
  for (let i = 0; i < GC_PASSES; i++) gc();
  const usage = process.memoryUsage();
  return { rssBytes: usage.rss, heapUsedBytes: usage.heapUsed, externalBytes: usage.external, arrayBuffersBytes: usage.arrayBuffers };
}

const nsToMs = (ns: number) => ns / 1e6;

async function main(): Promise<void> {
  // The restart storm starts a node again on the store and port of the one it killed.
  const ownDir = !process.env.LOAD_DATA_DIR;
  const dir = process.env.LOAD_DATA_DIR ?? (await mkdtemp(path.join(tmpdir(), 'chatroom-load-')));
  const server = await startServer({
    host: '127.0.0.1',
    port: Number(process.env.LOAD_PORT ?? 0),
    dbPath: path.join(dir, 'users.db'),
    // The bench registers its ACCOUNTS (+1 probe) all from 127.0.0.1, past the default per-address cap.
    registrationLimits: { perAddress: 10_000 },
    // Its 10,000 sockets all come from 127.0.0.1 at ~600/s, each unauthenticated for up to ~1.5 s: ~900 at once.
    unauthenticatedPerAddressMax: 10_000,
    // Each of its 100 accounts has 100 peers online (one token, 100 peer secrets), past PEERS_PER_ACCOUNT_MAX.
    peersPerAccountMax: 10_000,
    // A node of the cluster run (main.ts): its engines and name come from the coordinator.
    ...(process.env.LOAD_REDIS_URL
      ? { cluster: { redisUrl: process.env.LOAD_REDIS_URL, postgresUrl: process.env.LOAD_POSTGRES_URL, nodeName: process.env.LOAD_NODE_NAME } }
      : {}),
    log: (message) => reply({ ev: 'error', message }),
  });
  let histogram: IntervalHistogram | undefined;
  let windowStart = 0;
  // Observer callbacks arrive late: keep every pause with its start, pick the window's at the end.
  const gcPauses: { start: number; ms: number }[] = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) gcPauses.push({ start: entry.startTime, ms: entry.duration });
    if (gcPauses.length > GC_PAUSES_KEPT) gcPauses.splice(0, gcPauses.length - GC_PAUSES_KEPT);
  }).observe({ entryTypes: ['gc'] });
  const stop = async () => {
    await server.close();
    if (ownDir) await rm(dir, { recursive: true, force: true });
    process.exit(0);
  };
  // The coordinator died: do not linger.
  process.on('disconnect', () => void stop());
  process.on('message', (message: ToServer) => {
    switch (message.cmd) {
      case 'memory':
        return reply({ ev: 'memory', memory: memory() });
      case 'delay-start':
        histogram?.disable();
        windowStart = performance.now();
        histogram = monitorEventLoopDelay({ resolution: DELAY_RESOLUTION_MS });
        histogram.enable();
        return;
      case 'delay-stop': {
        if (!histogram) throw new Error('delay-stop before delay-start');
        histogram.disable();
        const h = histogram;
        histogram = undefined;
        const inWindow = gcPauses.filter((p) => p.start >= windowStart).map((p) => p.ms);
        const gc = { gcPauses: inWindow.length, gcMaxMs: Math.max(0, ...inWindow), gcTotalMs: inWindow.reduce((a, b) => a + b, 0) };
        return reply({ ev: 'delay', delay: { p50Ms: nsToMs(h.percentile(50)), p99Ms: nsToMs(h.percentile(99)), maxMs: nsToMs(h.max), meanMs: nsToMs(h.mean), samples: h.count, ...gc } });
      }
      case 'flushes':
        return reply({ ev: 'flushes', flushes: flushes.splice(0), heard: heard.splice(0) });
      case 'stop':
        return void stop();
    }
  });
  reply({ ev: 'ready', wsUrl: server.wsUrl, httpUrl: server.httpUrl });
}

void main();
