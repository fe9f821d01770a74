// Events per key over a sliding window (failed logins, registrations), with the number of keys
// tracked bounded so memory stays bounded whatever the keys. The engine of one node (eventWindows.ts).

import type { EventWindow, EventWindowFactory } from './eventWindows';

/** Keys tracked at most per window; the stalest is forgotten first, so memory stays bounded. */
const MAX_TRACKED_KEYS = 100_000;

/** Windows in this process's memory. */
export const memoryWindows: EventWindowFactory = (_name, limit, windowMs) => new SlidingWindow(limit, windowMs);

export class SlidingWindow implements EventWindow {
  /** key -> event times, oldest first, never longer than `limit`. Map order = least recently recorded first. */
  private readonly events = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
  ) {}

  /** Keys tracked right now. */
  get size(): number {
    return this.events.size;
  }

  /** Seconds until another event is allowed, or 0 when it is allowed now. */
  async retryAfterSeconds(key: string, now: number): Promise<number> {
    return this.waitFor(key, now);
  }

  async take(key: string, now: number): Promise<number> {
    const wait = this.waitFor(key, now);
    if (wait === 0) this.add(key, now);
    return wait;
  }

  async record(key: string, now: number): Promise<void> {
    this.add(key, now);
  }

  private waitFor(key: string, now: number): number {
    const times = this.recent(key, now);
    if (times.length < this.limit) return 0;
    return Math.max(1, Math.ceil((times[0] + this.windowMs - now) / 1000));
  }

  /** Removes one recorded event at `time` (a provisional one that turned out not to count). */
  async unrecord(key: string, time: number): Promise<void> {
    const times = this.events.get(key);
    const index = times?.lastIndexOf(time) ?? -1;
    if (index >= 0) times!.splice(index, 1);
  }

  private add(key: string, now: number): void {
    const times = this.recent(key, now);
    times.push(now);
    if (times.length > this.limit) times.shift();
    this.events.delete(key);
    this.events.set(key, times);
    if (this.events.size > MAX_TRACKED_KEYS) this.events.delete(this.events.keys().next().value!);
  }

  private recent(key: string, now: number): number[] {
    const times = this.events.get(key) ?? [];
    while (times.length > 0 && times[0] <= now - this.windowMs) times.shift();
    if (times.length === 0) this.events.delete(key);
    return times;
  }
}
