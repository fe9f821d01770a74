// CPU time (user + system, every thread) that processes spend, read from /proc: on a machine shared
// with others, wall times move with their load, but the CPU a transfer costs each process does not
// (much). Linux only; resolution one clock tick (10 ms) per process per reading, so it is summed over
// the rounds of a measure.

import { readFileSync } from 'node:fs';

/** Linux's USER_HZ is 100 on every common build: one tick is 10 ms. */
const TICK_MS = 10;

/** CPU ms used so far by process `pid` (0 when it cannot be read). */
export function cpuMsOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  } catch {
    return 0;
  }
}

/** Sums the CPU ms that a set of processes spends inside measured spans. */
export class CpuMeter {
  private startedAt: number[] = [];
  private spent: number[] = [];
  private spans = 0;

  constructor(private readonly pids: () => (number | undefined)[]) {}

  start(): void {
    this.startedAt = this.pids().map(cpuMsOf);
  }

  stop(): void {
    this.pids().forEach((pid, i) => (this.spent[i] = (this.spent[i] ?? 0) + cpuMsOf(pid) - this.startedAt[i]));
    this.spans++;
  }

  /** Mean CPU ms per span, all the processes together. */
  get perSpanMs(): number {
    return this.spans ? this.spent.reduce((a, b) => a + b, 0) / this.spans : NaN;
  }

  /** Mean CPU ms per span of each process, in the order of `pids`. */
  get perProcessMs(): number[] {
    return this.spent.map((ms) => ms / this.spans);
  }
}

/**
 * Resolves once `pids` together spent at most `quietCpuMs` of CPU over `windowMs` (their collectors
 * and acks done), or after `maxMs`: the next measured round then starts on a machine the last one
 * no longer uses. Returns the ms it waited.
 */
export async function quiet(pids: () => (number | undefined)[], windowMs = 100, quietCpuMs = 20, maxMs = 3000): Promise<number> {
  const started = performance.now();
  const total = () => pids().reduce<number>((sum, pid) => sum + cpuMsOf(pid), 0);
  let before = total();
  while (performance.now() - started < maxMs) {
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const now = total();
    if (now - before <= quietCpuMs) break;
    before = now;
  }
  return performance.now() - started;
}
