// What a node stores and shares through, opened at start: the account store (NeDB files, or
// PostgreSQL), and in cluster mode the Redis counters and the broker to the other nodes.

import { hostname } from 'node:os';
import { SESSION_TTL_MS } from '../shared/limits';
import type { EventWindowFactory } from './accounts/eventWindows';
import { openNedbStore } from './accounts/nedbStore';
import { openPgStore } from './accounts/postgres/pgStore';
import { memoryWindows } from './accounts/slidingWindow';
import type { AccountStore } from './accounts/store';
import { RedisBroker } from './cluster/redisBroker';
import { connectWithin, makeRedisClient, type RedisClient } from './cluster/redisClient';
import { redisWindows } from './cluster/redisWindows';
import type { EngineProbe } from './metrics';
import type { ClusterOptions } from './server';

export interface Engines {
  store: AccountStore;
  /** Where throttles and caps count: memory, or Redis in cluster mode. */
  windows: EventWindowFactory;
  /** Cluster mode: the other nodes (started by the hub once the server listens). */
  broker?: RedisBroker;
  /** What /readyz and the metrics probe. */
  probes: EngineProbe[];
  /** Closes the broker, the store and the Redis counters (each failure only logged). */
  close(): Promise<void>;
}

export interface EngineOptions {
  dbPath: string;
  /** The configured port (part of the default node name). */
  port: number;
  cluster: ClusterOptions;
  sessionTtlMs?: number;
  sessionsPerAccountMax?: number;
  log: (message: string) => void;
}

// Static imports only: under tsx's require hook a dynamic import() loads a second copy of shared/
// modules, and `instanceof ChatError` then fails across the two (503s became 500s). The engines'
// client libraries themselves are loaded only when opened (pgStore.ts, redisClient.ts).
export async function openEngines(options: EngineOptions): Promise<Engines> {
  const { cluster, log } = options;
  const storeOptions = { sessionTtlMs: options.sessionTtlMs ?? SESSION_TTL_MS, sessionsPerAccountMax: options.sessionsPerAccountMax, log };
  const store = cluster.postgresUrl ? await openPgStore({ url: cluster.postgresUrl, ...storeOptions }) : await openNedbStore({ dbPath: options.dbPath, ...storeOptions });
  const probes: EngineProbe[] = [{ name: store.engine, ping: () => store.ping() }];
  if (!cluster.redisUrl) return { store, windows: memoryWindows, probes, close: () => store.close() };
  const prefix = cluster.redisPrefix ?? 'chatroom:';
  // Counters of throttles and caps in Redis, so every node counts the same events.
  const counters: RedisClient = makeRedisClient(cluster.redisUrl, 'chatroom-counters', (error) => log(`redis counters: ${error.message}`));
  await connectWithin(counters, cluster.redisUrl).catch(async (error: Error) => {
    await store.close().catch(() => {});
    throw error;
  });
  const node = cluster.nodeName ?? `${hostname()}:${options.port || process.pid}`;
  const broker = new RedisBroker({ url: cluster.redisUrl, node, advertisedUrl: cluster.advertisedUrl ?? '', prefix, log });
  probes.push({
    name: 'redis',
    async ping() {
      if (!broker.connected) throw new Error('the broker is reconnecting');
      await counters.ping();
    },
  });
  return {
    store,
    windows: redisWindows(counters, prefix),
    broker,
    probes,
    async close() {
      await broker.close().catch((error: Error) => log(`redis at shutdown: ${error.message}`));
      await store.close();
      await counters.close().catch(() => {});
    },
  };
}
