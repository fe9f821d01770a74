// node-redis (v6) clients for the cluster: commands fail at once while Redis is unreachable (no
// offline queue growing without bound), and reconnecting goes on with capped, jittered backoff.

import { createRequire } from 'node:module';
import type * as Redis from 'redis';
import { REDIS_COMMAND_QUEUE_MAX, REDIS_CONNECT_TIMEOUT_MS, REDIS_RECONNECT_MAX_MS } from '../../shared/limits';

/** node-redis is loaded when a client is made: a single node never pays for it at start (~0.3 s of CPU). */
const require = createRequire(import.meta.url);

function create(url: string, name: string) {
  const { createClient } = require('redis') as typeof Redis;
  return createClient({
    url,
    name,
    disableOfflineQueue: true,
    commandsQueueMaxLength: REDIS_COMMAND_QUEUE_MAX,
    socket: { connectTimeout: REDIS_CONNECT_TIMEOUT_MS, reconnectStrategy: reconnectDelay },
  });
}

export type RedisClient = ReturnType<typeof create>;

/** Reconnect delay after `retries` failed attempts: exponential from 50 ms, capped, with full jitter. */
export function reconnectDelay(retries: number): number {
  return Math.round(Math.random() * Math.min(REDIS_RECONNECT_MAX_MS, 50 * 2 ** Math.min(retries, 10)));
}

export function makeRedisClient(url: string, name: string, onError: (error: Error) => void): RedisClient {
  const client = create(url, name);
  // Without a listener an 'error' event would end the process; reconnecting is the client's job.
  client.on('error', onError);
  return client;
}
