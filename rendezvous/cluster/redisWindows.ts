// Sliding windows of events (failed logins, registrations) counted in Redis, so every node of a
// cluster counts the same events: one sorted set per key, scored by time, checked and added to by
// one Lua script (atomic: two nodes cannot both take the last place). While Redis cannot be
// reached the node counts in its own memory (it keeps serving; the cap is then per node).

import type { EventWindow, EventWindowFactory } from '../accounts/eventWindows';
import { SlidingWindow } from '../accounts/slidingWindow';
import type { RedisClient } from './redisClient';

/** KEYS[1] the set; ARGV now, windowMs, limit, member, add (1/0). Returns 0 when allowed (and added), else ms until allowed. */
const TAKE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', tonumber(ARGV[1]) - tonumber(ARGV[2]))
local count = redis.call('ZCARD', KEYS[1])
if count >= tonumber(ARGV[3]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tonumber(oldest[2]) + tonumber(ARGV[2]) - tonumber(ARGV[1])
end
if ARGV[5] == '1' then
  redis.call('ZADD', KEYS[1], ARGV[1], ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`;

/** KEYS[1] the set; ARGV time. Removes one event recorded at that time. */
const UNRECORD = `
local members = redis.call('ZRANGEBYSCORE', KEYS[1], ARGV[1], ARGV[1], 'LIMIT', 0, 1)
if members[1] then redis.call('ZREM', KEYS[1], members[1]) end
return 0`;

let sequence = 0;

class RedisWindow implements EventWindow {
  private readonly fallback: SlidingWindow;

  constructor(
    private readonly client: RedisClient,
    private readonly prefix: string,
    private readonly limit: number,
    private readonly windowMs: number,
  ) {
    this.fallback = new SlidingWindow(limit, windowMs);
  }

  private async run(key: string, now: number, add: boolean): Promise<number> {
    // A unique member per event: two events in one millisecond are two events.
    const member = `${now}:${process.pid}:${sequence++}`;
    const waitMs = (await this.client.eval(TAKE, { keys: [this.prefix + key], arguments: [String(now), String(this.windowMs), String(this.limit), member, add ? '1' : '0'] })) as number;
    return waitMs > 0 ? Math.max(1, Math.ceil(waitMs / 1000)) : 0;
  }

  async retryAfterSeconds(key: string, now: number): Promise<number> {
    if (!this.client.isReady) return this.fallback.retryAfterSeconds(key, now);
    return this.run(key, now, false).catch(() => this.fallback.retryAfterSeconds(key, now));
  }

  async take(key: string, now: number): Promise<number> {
    if (!this.client.isReady) return this.fallback.take(key, now);
    return this.run(key, now, true).catch(() => this.fallback.take(key, now));
  }

  async record(key: string, now: number): Promise<void> {
    if (!this.client.isReady) return this.fallback.record(key, now);
    await this.client.zAdd(this.prefix + key, { score: now, value: `${now}:${process.pid}:${sequence++}` }).catch(() => this.fallback.record(key, now));
    await this.client.pExpire(this.prefix + key, this.windowMs).catch(() => {});
  }

  async unrecord(key: string, time: number): Promise<void> {
    await this.fallback.unrecord(key, time);
    if (!this.client.isReady) return;
    await this.client.eval(UNRECORD, { keys: [this.prefix + key], arguments: [String(time)] }).catch(() => {});
  }
}

/** Windows in Redis under `prefix` (one set per window name and key). */
export function redisWindows(client: RedisClient, prefix: string): EventWindowFactory {
  return (name, limit, windowMs) => new RedisWindow(client, `${prefix}window:${name}:`, limit, windowMs);
}
