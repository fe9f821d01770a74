// Argon2id password hashing with bounded concurrency: each hash holds ~19 MiB and a libuv thread,
// so a login flood must queue (boundedly) instead of exhausting memory or the thread pool. The
// queue is bounded by the wait it means, not by a count: a request is refused (503 BUSY, with the
// seconds after which it would fit) only when the hashes ahead of it would take longer than
// PASSWORD_QUEUE_WAIT_MAX_MS, estimated from the hash time measured here.

import { availableParallelism } from 'node:os';
import argon2 from 'argon2';
import { ChatError } from '../../shared/errors';
import { PASSWORD_HASH_CONCURRENCY, PASSWORD_HASH_ESTIMATE_MS, PASSWORD_HASH_QUEUE_MAX, PASSWORD_QUEUE_ALWAYS_ACCEPTED, PASSWORD_QUEUE_WAIT_MAX_MS } from '../../shared/limits';
import type { HashStats } from '../metrics';

/** OWASP's minimum for Argon2id: 19 MiB, 2 passes, parallelism 1. */
export const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export interface VerifyResult {
  ok: boolean;
  /** A new PHC string when the stored one used weaker parameters (only when ok). */
  upgradedHash?: string;
}

/**
 * Hashes run at once by default: PASSWORD_HASH_CONCURRENCY, but never more than the cores less
 * one, so the event loop keeps a core. Measured with 10,000 connected on 2 cores (npm run
 * bench:load), 100 simultaneous logins: 2 hashes at once gave an event-loop delay p99 of 53-97 ms,
 * 1 at once 13-42 ms, and no fewer logins a second (two hash threads and the event loop were
 * sharing the 2 cores).
 */
export function defaultHashConcurrency(cores = availableParallelism()): number {
  return Math.max(1, Math.min(PASSWORD_HASH_CONCURRENCY, cores - 1));
}

export interface HasherLimits {
  concurrency: number;
  /** Requests waiting at most (a memory bound). */
  queueMax: number;
  /** Longest expected wait accepted (ms)... */
  waitMaxMs: number;
  /** ...once this many are waiting (fewer always wait). */
  alwaysAccepted: number;
}

/** Weight of the newest hash time in the running estimate. */
const HASH_TIME_SMOOTHING = 0.2;

export class PasswordHasher {
  private running = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly limits: HasherLimits;
  /** Running estimate of one hash's time (ms). */
  private hashMs = PASSWORD_HASH_ESTIMATE_MS;
  /** A real hash verified against unknown usernames so their timing matches known ones. */
  private dummyHash: Promise<string> | undefined;

  constructor(
    limits: Partial<HasherLimits> = {},
    private readonly stats?: HashStats,
  ) {
    this.limits = { concurrency: defaultHashConcurrency(), queueMax: PASSWORD_HASH_QUEUE_MAX, waitMaxMs: PASSWORD_QUEUE_WAIT_MAX_MS, alwaysAccepted: PASSWORD_QUEUE_ALWAYS_ACCEPTED, ...limits };
  }

  hash(password: string): Promise<string> {
    return this.limited(() => argon2.hash(password, ARGON2_OPTIONS));
  }

  async verify(phc: string, password: string): Promise<VerifyResult> {
    const ok = await this.limited(() => argon2.verify(phc, password).catch(() => false));
    if (!ok) return { ok };
    if (!argon2.needsRehash(phc, ARGON2_OPTIONS)) return { ok };
    return { ok, upgradedHash: await this.hash(password) };
  }

  /** Spends the same work as a verify, for a username that does not exist. */
  async verifyNothing(password: string): Promise<void> {
    this.dummyHash ??= argon2.hash('not a real password', ARGON2_OPTIONS);
    const phc = await this.dummyHash;
    await this.limited(() => argon2.verify(phc, password).catch(() => false));
  }

  /** How long a request queued now would wait for a slot (ms). */
  expectedWaitMs(): number {
    return ((this.waiting.length + 1) * this.hashMs) / this.limits.concurrency;
  }

  private async limited<T>(task: () => Promise<T>): Promise<T> {
    const queuedAt = performance.now();
    if (this.running >= this.limits.concurrency) {
      const waitMs = this.expectedWaitMs();
      const tooLong = waitMs > this.limits.waitMaxMs && this.waiting.length >= this.limits.alwaysAccepted;
      if (tooLong || this.waiting.length >= this.limits.queueMax) {
        // Come back when the queue ahead would have shrunk to what is accepted.
        const retryAfterSeconds = Math.max(1, Math.ceil((waitMs - this.limits.waitMaxMs) / 1000));
        throw new ChatError('BUSY', `The server is busy, try again in ${retryAfterSeconds} s.`, { retryAfterSeconds });
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    const startedAt = performance.now();
    this.stats?.queued(startedAt - queuedAt);
    try {
      return await task();
    } finally {
      const tookMs = performance.now() - startedAt;
      this.hashMs += HASH_TIME_SMOOTHING * (tookMs - this.hashMs);
      this.stats?.hashed(tookMs);
      // Hand the slot straight to the next waiter, so `running` never dips and overshoots.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}
