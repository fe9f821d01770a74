// Failed-login throttling over sliding windows, shaped so it cannot be turned against the owner
// (OWASP "device cookies", NIST SP 800-63B 5.2.2):
// - a login from a known device (it holds a device token of the account) is checked against that
//   device's own failures only: failures from anywhere else never lock it out;
// - any other login is checked per client address, per account and address pair, and per account.
// Only failures are recorded; a throttled attempt is refused before any password work is done.

import { ChatError } from '../../shared/errors';
import {
  LOGIN_FAILURE_WINDOW_MS,
  LOGIN_FAILURES_PER_ACCOUNT,
  LOGIN_FAILURES_PER_ACCOUNT_ADDRESS,
  LOGIN_FAILURES_PER_ADDRESS,
  LOGIN_FAILURES_PER_DEVICE,
} from '../../shared/limits';
import { SlidingWindow } from './slidingWindow';

export interface ThrottleLimits {
  failuresPerAccount: number;
  failuresPerAccountAddress: number;
  failuresPerAddress: number;
  failuresPerDevice: number;
  windowMs: number;
}

/** Who is trying: the account key (a validated name), the client address, and the known device, if any. */
export interface LoginAttempt {
  account: string;
  address: string;
  /** The device id when the login carries a valid device token of this account. */
  device?: string;
}

export class LoginThrottle {
  private readonly accounts: SlidingWindow;
  private readonly pairs: SlidingWindow;
  private readonly addresses: SlidingWindow;
  private readonly devices: SlidingWindow;

  constructor(limits: Partial<ThrottleLimits> = {}) {
    const windowMs = limits.windowMs ?? LOGIN_FAILURE_WINDOW_MS;
    this.accounts = new SlidingWindow(limits.failuresPerAccount ?? LOGIN_FAILURES_PER_ACCOUNT, windowMs);
    this.pairs = new SlidingWindow(limits.failuresPerAccountAddress ?? LOGIN_FAILURES_PER_ACCOUNT_ADDRESS, windowMs);
    this.addresses = new SlidingWindow(limits.failuresPerAddress ?? LOGIN_FAILURES_PER_ADDRESS, windowMs);
    this.devices = new SlidingWindow(limits.failuresPerDevice ?? LOGIN_FAILURES_PER_DEVICE, windowMs);
  }

  /** Throws LOGIN_THROTTLED (with the seconds to wait) when a window of this attempt is full. */
  check(attempt: LoginAttempt, now = Date.now()): void {
    const wait = Math.max(...this.windowsOf(attempt).map(([window, key]) => window.retryAfterSeconds(key, now)));
    if (wait > 0) {
      throw new ChatError('LOGIN_THROTTLED', `Too many failed logins. Try again in ${wait} s.`, { retryAfterSeconds: wait });
    }
  }

  /**
   * Checks, then counts the attempt as a failure until it is known to have succeeded: attempts
   * verified concurrently then cannot overshoot the limit. `withdraw` when it was not a failure.
   */
  begin(attempt: LoginAttempt, now = Date.now()): { withdraw(): void } {
    this.check(attempt, now);
    this.recordFailure(attempt, now);
    return { withdraw: () => this.windowsOf(attempt).forEach(([window, key]) => window.unrecord(key, now)) };
  }

  recordFailure(attempt: LoginAttempt, now = Date.now()): void {
    for (const [window, key] of this.windowsOf(attempt)) window.record(key, now);
  }

  /** A failed login whose name could not be an account: only its address counts it (no name becomes a key). */
  recordAddressFailure(address: string, now = Date.now()): void {
    const wait = this.addresses.retryAfterSeconds(address, now);
    if (wait > 0) throw new ChatError('LOGIN_THROTTLED', `Too many failed logins. Try again in ${wait} s.`, { retryAfterSeconds: wait });
    this.addresses.record(address, now);
  }

  /** Keys tracked, all windows together (tests check that refused names do not grow it). */
  get trackedKeys(): number {
    return this.accounts.size + this.pairs.size + this.addresses.size + this.devices.size;
  }

  private windowsOf(attempt: LoginAttempt): Array<[SlidingWindow, string]> {
    if (attempt.device !== undefined) return [[this.devices, `${attempt.account}\n${attempt.device}`]];
    return [
      [this.addresses, attempt.address],
      [this.pairs, `${attempt.account}\n${attempt.address}`],
      [this.accounts, attempt.account],
    ];
  }
}
