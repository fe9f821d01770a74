// Registrations per client address over a sliding window. Only successful ones count; a refused
// registration is refused before any password work is done.

import { ChatError } from '../../shared/errors';
import { REGISTRATION_WINDOW_MS, REGISTRATIONS_PER_ADDRESS } from '../../shared/limits';
import type { EventWindow, EventWindowFactory } from './eventWindows';
import { memoryWindows } from './slidingWindow';

export interface RegistrationLimits {
  perAddress: number;
  windowMs: number;
}

export class RegistrationThrottle {
  private readonly addresses: EventWindow;

  /** `windows`: where registrations are counted (memory for one node, Redis for a cluster). */
  constructor(limits: Partial<RegistrationLimits> = {}, windows: EventWindowFactory = memoryWindows) {
    this.addresses = windows('registrations', limits.perAddress ?? REGISTRATIONS_PER_ADDRESS, limits.windowMs ?? REGISTRATION_WINDOW_MS);
  }

  /**
   * Throws RATE_LIMITED when the address is at its limit; otherwise counts the registration until
   * it is known to have failed, so registrations running concurrently cannot overshoot the limit.
   * `withdraw` when it did not create an account.
   */
  async begin(address: string, now = Date.now()): Promise<{ withdraw(): Promise<void> }> {
    const wait = await this.addresses.take(address, now);
    if (wait > 0) {
      throw new ChatError('RATE_LIMITED', `Too many accounts registered from this address. Try again in ${wait} s.`, { retryAfterSeconds: wait });
    }
    return { withdraw: () => this.addresses.unrecord(address, now) };
  }
}
