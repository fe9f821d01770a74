// Messages between the load-bench coordinator (main.ts) and its child processes.

import type { StormOutcome } from './storm-client';

export interface MemorySample {
  rssBytes: number;
  heapUsedBytes: number;
  externalBytes: number;
  arrayBuffersBytes: number;
}

export interface DelaySample {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  meanMs: number;
  samples: number;
  /** Garbage-collection pauses in the same window (PerformanceObserver 'gc' entries). */
  gcPauses: number;
  gcMaxMs: number;
  gcTotalMs: number;
}

export interface FlushSample {
  ms: number;
  recipients: number;
  /** Epoch ms (epochNow) at which it started, and the joins and leaves it carried. */
  startedAt: number;
  joined: number;
  left: number;
}

/** When the server heard of a presence change (epochNow): a join at authentication, a leave when the socket's close was seen. */
export interface PresenceHeard {
  kind: 'join' | 'leave';
  at: number;
}

export type ToServer =
  | { cmd: 'memory' }
  | { cmd: 'delay-start' }
  | { cmd: 'delay-stop' }
  | { cmd: 'flushes' }
  | { cmd: 'stop' };

export type FromServer =
  | { ev: 'ready'; wsUrl: string; httpUrl: string }
  | { ev: 'memory'; memory: MemorySample }
  | { ev: 'delay'; delay: DelaySample }
  | { ev: 'flushes'; flushes: FlushSample[]; heard: PresenceHeard[] }
  | { ev: 'error'; message: string };

export type ToClients =
  /** Open `count` connections, the k-th authenticated with tokens[k % tokens.length]. */
  | { cmd: 'connect'; wsUrl: string; tokens: string[]; count: number; concurrency?: number }
  /** Record when each connection first receives a text message containing `needle`. */
  | { cmd: 'watch'; id: number; needle: string }
  /** Report what the watch `id` recorded so far (the coordinator's timeout). */
  | { cmd: 'watch-report'; id: number }
  /** Restart storm: from now on a cut socket reconnects by itself and resumes; `expect` peers make it complete. */
  | { cmd: 'storm-arm'; expect: number }
  /** How many of this process's sockets are still open (those cut earlier are not in the room). */
  | { cmd: 'open-count' }
  /** Report the storm so far (the coordinator's timeout). */
  | { cmd: 'storm-report' }
  | { cmd: 'stop' };

export type FromClients =
  /** `retries`: attempts refused or timed out and tried again; `firstError`: the first such refusal. */
  | { ev: 'connected'; connected: number; failed: number; retries: number; firstError: string | undefined; elapsedMs: number; authLatenciesMs: number[] }
  | { ev: 'progress'; connected: number }
  | { ev: 'armed'; id: number }
  /** Epoch-based times (performance.timeOrigin + now) at which each connection saw the needle; NaN = not seen. */
  | { ev: 'watched'; id: number; times: number[]; unexpectedCloses: number }
  /** `taking`: this process's sockets still open, which take part in the storm. */
  | { ev: 'storm-armed'; taking: number }
  | { ev: 'open-count'; open: number }
  | ({ ev: 'storm' } & StormOutcome);

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes of one machine. */
export function epochNow(): number {
  return performance.timeOrigin + performance.now();
}
