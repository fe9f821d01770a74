// Registrations per client address over a sliding window. Only successful ones count; a refused
// registration is refused before any password work is done.

import { ChatError } from '../../shared/errors';
import { REGISTRATION_WINDOW_MS, REGISTRATIONS_PER_ADDRESS } from '../../shared/limits';
import { SlidingWindow } from './slidingWindow';

export interface RegistrationLimits {
  perAddress: number;
  windowMs: number;
}

export class RegistrationThrottle {
  private readonly addresses: SlidingWindow;

  constructor(limits: Partial<RegistrationLimits> = {}) {
    this.addresses = new SlidingWindow(limits.perAddress ?? REGISTRATIONS_PER_ADDRESS, limits.windowMs ?? REGISTRATION_WINDOW_MS);
  }

  /**
   * Throws RATE_LIMITED when the address is at its limit; otherwise counts the registration until
   * it is known to have failed, so registrations running concurrently cannot overshoot the limit.
   * `withdraw` when it did not create an account.
   */
  begin(address: string, now = Date.now()): { withdraw(): void } {
    const wait = this.addresses.retryAfterSeconds(address, now);
    if (wait > 0) {
      throw new ChatError('RATE_LIMITED', `Too many accounts registered from this address. Try again in ${wait} s.`, { retryAfterSeconds: wait });
    }
    this.addresses.record(address, now);
    return { withdraw: () => this.addresses.unrecord(address, now) };
  }
}
