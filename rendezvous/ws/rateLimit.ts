// Token bucket: `ratePerSecond` refill, `burst` capacity. One per connection.

import { WS_MESSAGE_BURST, WS_MESSAGES_PER_SECOND } from '../../shared/limits';

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSecond = WS_MESSAGES_PER_SECOND,
    private readonly burst = WS_MESSAGE_BURST,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Takes one token; false when the bucket is empty. */
  take(): boolean {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.ratePerSecond);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
