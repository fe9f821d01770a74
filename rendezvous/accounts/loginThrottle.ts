// Failed-login throttling over a sliding window, per account and per client address. Only
// failures are recorded; a throttled attempt is refused before any password work is done.

import { ChatError } from '../../shared/errors';
import { LOGIN_FAILURE_WINDOW_MS, LOGIN_FAILURES_PER_ACCOUNT, LOGIN_FAILURES_PER_ADDRESS } from '../../shared/limits';

export interface ThrottleLimits {
  failuresPerAccount: number;
  failuresPerAddress: number;
  windowMs: number;
}

/** Keys tracked at most per kind; the stalest is forgotten first, so memory stays bounded. */
const MAX_TRACKED_KEYS = 100_000;

class SlidingWindow {
  /** key -> failure times, oldest first, never longer than `limit`. Map order = least recently failed first. */
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Seconds until another attempt is allowed, or 0 when it is allowed now. */
  retryAfterSeconds(key: string, now: number): number {
    const times = this.recent(key, now);
    if (times.length < this.limit) return 0;
    return Math.max(1, Math.ceil((times[0] + this.windowMs - now) / 1000));
  }

  /** Removes one recorded failure at `time` (a provisional failure that turned out a success). */
  unrecord(key: string, time: number): void {
    const times = this.failures.get(key);
    const index = times?.lastIndexOf(time) ?? -1;
    if (index >= 0) times!.splice(index, 1);
  }

  record(key: string, now: number): void {
    const times = this.recent(key, now);
    times.push(now);
    if (times.length > this.limit) times.shift();
    this.failures.delete(key);
    this.failures.set(key, times);
    if (this.failures.size > MAX_TRACKED_KEYS) this.failures.delete(this.failures.keys().next().value!);
  }

  private recent(key: string, now: number): number[] {
    const times = this.failures.get(key) ?? [];
    while (times.length > 0 && times[0] <= now - this.windowMs) times.shift();
    if (times.length === 0) this.failures.delete(key);
    return times;
  }
}

export class LoginThrottle {
  private readonly accounts: SlidingWindow;
  private readonly addresses: SlidingWindow;

  constructor(limits: Partial<ThrottleLimits> = {}) {
    const windowMs = limits.windowMs ?? LOGIN_FAILURE_WINDOW_MS;
    this.accounts = new SlidingWindow(limits.failuresPerAccount ?? LOGIN_FAILURES_PER_ACCOUNT, windowMs);
    this.addresses = new SlidingWindow(limits.failuresPerAddress ?? LOGIN_FAILURES_PER_ADDRESS, windowMs);
  }

  /** Throws LOGIN_THROTTLED when either the account or the address is over its limit. */
  check(accountKey: string, address: string, now = Date.now()): void {
    const wait = Math.max(this.accounts.retryAfterSeconds(accountKey, now), this.addresses.retryAfterSeconds(address, now));
    if (wait > 0) {
      throw new ChatError('LOGIN_THROTTLED', `Too many failed logins. Try again in ${wait} s.`, { retryAfterSeconds: wait });
    }
  }

  /**
   * Checks, then counts the attempt as a failure until it is known to have succeeded: attempts
   * verified concurrently then cannot overshoot the limit. `withdraw` when it was not a failure.
   */
  begin(accountKey: string, address: string, now = Date.now()): { withdraw(): void } {
    this.check(accountKey, address, now);
    this.recordFailure(accountKey, address, now);
    return {
      withdraw: () => {
        this.accounts.unrecord(accountKey, now);
        this.addresses.unrecord(address, now);
      },
    };
  }

  recordFailure(accountKey: string, address: string, now = Date.now()): void {
    this.accounts.record(accountKey, now);
    this.addresses.record(address, now);
  }
}
