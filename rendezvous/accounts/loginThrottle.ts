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
import type { EventWindow, EventWindowFactory } from './eventWindows';
import { memoryWindows, SlidingWindow } from './slidingWindow';

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

function throttled(wait: number): ChatError {
  return new ChatError('LOGIN_THROTTLED', `Too many failed logins. Try again in ${wait} s.`, { retryAfterSeconds: wait });
}

export class LoginThrottle {
  private readonly accounts: EventWindow;
  private readonly pairs: EventWindow;
  private readonly addresses: EventWindow;
  private readonly devices: EventWindow;

  /** `windows`: where failures are counted (memory for one node, Redis for a cluster). */
  constructor(limits: Partial<ThrottleLimits> = {}, windows: EventWindowFactory = memoryWindows) {
    const windowMs = limits.windowMs ?? LOGIN_FAILURE_WINDOW_MS;
    this.accounts = windows('login-account', limits.failuresPerAccount ?? LOGIN_FAILURES_PER_ACCOUNT, windowMs);
    this.pairs = windows('login-pair', limits.failuresPerAccountAddress ?? LOGIN_FAILURES_PER_ACCOUNT_ADDRESS, windowMs);
    this.addresses = windows('login-address', limits.failuresPerAddress ?? LOGIN_FAILURES_PER_ADDRESS, windowMs);
    this.devices = windows('login-device', limits.failuresPerDevice ?? LOGIN_FAILURES_PER_DEVICE, windowMs);
  }

  /** Throws LOGIN_THROTTLED (with the seconds to wait) when a window of this attempt is full. */
  async check(attempt: LoginAttempt, now = Date.now()): Promise<void> {
    const waits = await Promise.all(this.windowsOf(attempt).map(([window, key]) => window.retryAfterSeconds(key, now)));
    const wait = Math.max(...waits);
    if (wait > 0) throw throttled(wait);
  }

  /**
   * Checks, then counts the attempt as a failure until it is known to have succeeded: attempts
   * verified concurrently (on any node) cannot overshoot the limit. `withdraw` when it was not a failure.
   */
  async begin(attempt: LoginAttempt, now = Date.now()): Promise<{ withdraw(): Promise<void> }> {
    await this.check(attempt, now);
    const windows = this.windowsOf(attempt);
    const taken: Array<[EventWindow, string]> = [];
    for (const [window, key] of windows) {
      const wait = await window.take(key, now);
      if (wait > 0) {
        // Another attempt filled it since the check: give back what this one took.
        await Promise.all(taken.map(([w, k]) => w.unrecord(k, now)));
        throw throttled(wait);
      }
      taken.push([window, key]);
    }
    return { withdraw: async () => void (await Promise.all(windows.map(([window, key]) => window.unrecord(key, now)))) };
  }

  async recordFailure(attempt: LoginAttempt, now = Date.now()): Promise<void> {
    await Promise.all(this.windowsOf(attempt).map(([window, key]) => window.record(key, now)));
  }

  /** A failed login whose name could not be an account: only its address counts it (no name becomes a key). */
  async recordAddressFailure(address: string, now = Date.now()): Promise<void> {
    const wait = await this.addresses.take(address, now);
    if (wait > 0) throw throttled(wait);
  }

  /** Keys tracked in memory, all windows together (tests check that refused names do not grow it). */
  get trackedKeys(): number {
    const size = (window: EventWindow) => (window instanceof SlidingWindow ? window.size : 0);
    return size(this.accounts) + size(this.pairs) + size(this.addresses) + size(this.devices);
  }

  private windowsOf(attempt: LoginAttempt): Array<[EventWindow, string]> {
    if (attempt.device !== undefined) return [[this.devices, `${attempt.account}\n${attempt.device}`]];
    return [
      [this.addresses, attempt.address],
      [this.pairs, `${attempt.account}\n${attempt.address}`],
      [this.accounts, attempt.account],
    ];
  }
}
