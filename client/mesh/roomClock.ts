// Sent times for the room's order: every page sorts messages by (sentAt, id), so a new message is
// stamped after the newest one seen (a message never sorts above one it answers, whatever the
// clocks). A received time more than CLOCK_AHEAD_MAX_MS ahead of our clock is not followed: a peer
// with a clock far ahead, or lying, cannot drag everyone's times into its future.

import { CLOCK_AHEAD_MAX_MS } from '../../shared/limits';

export class RoomClock {
  private newest = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** The sent time of a new own message. */
  next(): number {
    this.newest = Math.max(this.now(), this.newest + 1);
    return this.newest;
  }

  /** A message sent at `sentAt` was received. */
  saw(sentAt: number): void {
    if (sentAt <= this.now() + CLOCK_AHEAD_MAX_MS) this.newest = Math.max(this.newest, sentAt);
  }
}
