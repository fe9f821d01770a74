// Token bucket: `ratePerSecond` refill, `burst` capacity. One per connection. And the flood meter:
// messages over a short window, whatever the bucket still allows.

import { WS_FLOOD_MESSAGES_PER_WINDOW, WS_FLOOD_WINDOW_MS, WS_MESSAGE_BURST, WS_MESSAGES_PER_SECOND } from '../../shared/limits';

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

/** Counts messages in the last `windowMs` (in slots of a tenth of it); `count` says when they exceed `max`. */
export class FloodMeter {
  private readonly slots: number[] = new Array(10).fill(0);
  private readonly slotMs: number;
  private slotStart: number;
  private slotIndex = 0;
  private total = 0;

  constructor(
    private readonly max = WS_FLOOD_MESSAGES_PER_WINDOW,
    windowMs = WS_FLOOD_WINDOW_MS,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.slotMs = windowMs / this.slots.length;
    this.slotStart = now();
  }

  /** Counts one message; true when the window now holds more than `max` (a flood). */
  count(): boolean {
    const now = this.now();
    // Move to the current slot, emptying the slots that left the window (all of them after a long pause).
    const steps = Math.min(this.slots.length, Math.floor((now - this.slotStart) / this.slotMs));
    for (let i = 0; i < steps; i++) {
      this.slotIndex = (this.slotIndex + 1) % this.slots.length;
      this.total -= this.slots[this.slotIndex];
      this.slots[this.slotIndex] = 0;
    }
    if (steps > 0) this.slotStart += Math.floor((now - this.slotStart) / this.slotMs) * this.slotMs;
    this.slots[this.slotIndex]++;
    this.total++;
    return this.total > this.max;
  }
}
