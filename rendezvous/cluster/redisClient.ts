// node-redis (v6) clients for the cluster: commands fail at once while Redis is unreachable (no
// offline queue growing without bound), and reconnecting goes on with capped, jittered backoff.

import { createRequire } from 'node:module';
import type * as Redis from 'redis';
import { REDIS_COMMAND_QUEUE_MAX, REDIS_CONNECT_TIMEOUT_MS, REDIS_RECONNECT_MAX_MS, REDIS_START_TIMEOUT_MS } from '../../shared/limits';

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

/** `onError` hears each kind of failure once in a row, not once per reconnect attempt. */
export function makeRedisClient(url: string, name: string, onError: (error: Error) => void): RedisClient {
  const client = create(url, name);
  let last = '';
  // Without a listener an 'error' event would end the process; reconnecting is the client's job.
  client.on('error', (error: Error) => {
    if (error.message !== last) onError(error);
    last = error.message;
  });
  client.on('ready', () => (last = ''));
  return client;
}

/**
 * Connects, or fails after REDIS_START_TIMEOUT_MS: node-redis retries a first connection for ever,
 * but a node that cannot reach Redis at start must say so and exit, not hang.
 */
export async function connectWithin(client: RedisClient, url: string, timeoutMs = REDIS_START_TIMEOUT_MS): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)));
  try {
    await Promise.race([client.connect(), deadline]);
  } catch (error) {
    client.destroy();
    throw new Error(`cannot reach Redis at ${url} (${(error as Error).message})`);
  } finally {
    clearTimeout(timer);
  }
}
