// Failed-login throttling over a sliding window, per account and per client address. Only
// failures are recorded; a throttled attempt is refused before any password work is done.

import { ChatError } from '../../shared/errors';
import { LOGIN_FAILURE_WINDOW_MS, LOGIN_FAILURES_PER_ACCOUNT, LOGIN_FAILURES_PER_ADDRESS } from '../../shared/limits';
import { SlidingWindow } from './slidingWindow';

export interface ThrottleLimits {
  failuresPerAccount: number;
  failuresPerAddress: number;
  windowMs: number;
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
