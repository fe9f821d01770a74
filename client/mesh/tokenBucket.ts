// Paces what we push through the server: it refuses messages past its rate limit and closes a
// socket that keeps going, so the relay path stays under WS_MESSAGES_PER_SECOND with margin.

import { WS_MESSAGE_BURST, WS_MESSAGES_PER_SECOND } from '../../shared/limits';

export class TokenBucket {
  private tokens: number;
  private last = Date.now();

  constructor(
    private readonly perSecond = WS_MESSAGES_PER_SECOND * 0.8,
    private readonly burst = WS_MESSAGE_BURST / 2,
  ) {
    this.tokens = burst;
  }

  /** True when one more message may go now (without taking it). */
  available(): boolean {
    const now = Date.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    return this.tokens >= 1;
  }

  take(): void {
    this.tokens -= 1;
  }
}
