// One bench process (a mesh peer, or one end of a baseline or a floor) as the bench's coordinator
// sees it: fork, commands over IPC, and waiting for what it reports. Also the timing of one
// transfer round, shared by the baselines and floors.

import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ToSocketIoWorker } from './socketioWorker';
import type { FromWorker, ToWorker } from './worker';

const HERE = path.dirname(fileURLToPath(import.meta.url));
/** Timed rounds per measure (medians), after one warm-up round. */
export const REPEATS = Number(process.env.BENCH_REPEATS ?? 9);
/**
 * Extra node flags for every process of the run alike (server, peers, baselines, floors), e.g.
 * BENCH_NODE_FLAGS=--initial-old-space-size=64 to take V8's small-heap collections out of all of them.
 */
export const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);

/** BENCH_PROF=<dir>: V8 CPU profiles of the processes whose name matches BENCH_PROF_ONLY (a regex; all without it). */
function profileFlags(name: string): string[] {
  const dir = process.env.BENCH_PROF;
  const only = process.env.BENCH_PROF_ONLY;
  if (!dir || (only && !new RegExp(only).test(name))) return [];
  return ['--cpu-prof', `--cpu-prof-dir=${dir}`, `--cpu-prof-name=${name}.${process.pid}.cpuprofile`];
}

export class Worker {
  readonly log: FromWorker[] = [];
  private waiters: (() => void)[] = [];
  readonly child: ChildProcess;
  /**
   * `script`: the bench file the process runs (worker.ts: a mesh peer, a baseline or a floor), relative
   * to bench/ or absolute (another checkout's worker, for a before/after run).
   */
  constructor(
    readonly name: string,
    script = 'worker.ts',
  ) {
    this.child = fork(path.resolve(HERE, script), [], { execArgv: [...NODE_FLAGS, '--import', 'tsx', ...profileFlags(name)], stdio: ['ignore', process.env.BENCH_STDOUT ? 'inherit' : 'ignore', 'inherit', 'ipc'], env: { ...process.env, BENCH_ROLE: name } });
    this.child.on('message', (m: FromWorker) => {
      if (m.ev === 'error') return void (process.env.BENCH_VERBOSE && console.error(`${this.name}: ${m.message}`));
      this.log.push(m);
      for (const w of this.waiters.splice(0)) w();
    });
  }
  send(m: ToWorker | ToSocketIoWorker): void {
    this.child.send(m);
  }
  /** The first logged event matching `pred`, waiting up to `timeoutMs`. */
  async next<T extends FromWorker>(pred: (m: FromWorker) => boolean, timeoutMs = 60_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = [...this.log].reverse().find(pred);
      if (found) return found as T;
      if (Date.now() > deadline) throw new Error(`${this.name}: timed out`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, 100);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
  stop(): Promise<void> {
    return new Promise((resolve) => {
      if (this.child.exitCode !== null) return resolve();
      this.child.on('exit', () => resolve());
      this.send({ cmd: 'stop' });
      setTimeout(() => this.child.kill('SIGKILL'), 10_000).unref();
    });
  }
}

export const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

type Started = Extract<FromWorker, { ev: 'ws-started' }>;
type Received = Extract<FromWorker, { ev: 'ws-received' }>;

/** One round: start it, then the time from the source's start until the last sink has it all (ms). */
export async function timedRound(source: Worker, sinks: Worker[], round: number, start: () => void): Promise<number> {
  start();
  const { startedAt } = await source.next<Started>((m) => m.ev === 'ws-started' && m.round === round);
  const got = await Promise.all(sinks.map((sink) => sink.next<Received>((m) => m.ev === 'ws-received' && m.round === round)));
  if (got.some((g) => g.verified === false)) throw new Error(`${source.name}: a receiver got wrong bytes in round ${round}`);
  return Math.max(...got.map((g) => g.receivedAt)) - startedAt;
}

/** Round 0 warms the JIT up and is not counted; the median of the next REPEATS is. */
export async function timedRounds(source: Worker, sinks: Worker[], startRound: (round: number) => void): Promise<number> {
  const times: number[] = [];
  for (let round = 0; round <= REPEATS; round++) {
    const ms = await timedRound(source, sinks, round, () => startRound(round));
    if (round > 0) times.push(ms);
  }
  return median(times);
}
