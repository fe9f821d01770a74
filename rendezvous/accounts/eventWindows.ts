// Counters of events per key over a sliding window (failed logins, registrations), behind one
// interface: in memory for one node (slidingWindow.ts), in Redis for a cluster, where every node
// must count the same events (cluster/redisWindows.ts).

export interface EventWindow {
  /** Seconds until another event is allowed for `key`, or 0 when it is allowed now. */
  retryAfterSeconds(key: string, now: number): Promise<number>;
  /** Records an event unless `key` is at its limit, as one step (no other node counts in between): 0 when recorded, else the seconds to wait. */
  take(key: string, now: number): Promise<number>;
  record(key: string, now: number): Promise<void>;
  /** Removes one recorded event at `time` (a provisional one that turned out not to count). */
  unrecord(key: string, time: number): Promise<void>;
}

/** Makes the windows of a throttle: `name` tells them apart where they share one engine. */
export type EventWindowFactory = (name: string, limit: number, windowMs: number) => EventWindow;
