// A cluster for tests: a real Redis and PostgreSQL (helpers/engines.ts) and rendezvous nodes on
// 127.0.0.1, in this process (startNode) or as child processes that can be killed with -9
// (spawnNode). Engines missing from the machine fail the test with what to install.

import { createClient } from 'redis';
import { startPostgres, startRedis, type TestPostgres, type TestRedis } from './engines';
import { spawnServerProcess, startTestServer, type ServerProcess, type TestServer } from './server';
import type { ServerOptions } from '../../rendezvous/server';

export interface Engines {
  redis: TestRedis;
  postgres: TestPostgres;
  stop(): Promise<void>;
}

export async function startEngines(): Promise<Engines> {
  const [redis, postgres] = await Promise.all([startRedis(), startPostgres()]);
  return {
    redis,
    postgres,
    async stop() {
      await Promise.all([redis.stop(), postgres.destroy()]);
    },
  };
}

export function startNode(engines: Engines, nodeName: string, options: Partial<ServerOptions> = {}): Promise<TestServer> {
  return startTestServer({ ...options, cluster: { redisUrl: engines.redis.url, postgresUrl: engines.postgres.url, nodeName } });
}

/** rendezvous/main.ts as a node of the cluster, in its own process. */
export function spawnNode(engines: Engines, nodeName: string, extraArgs: string[] = []): Promise<ServerProcess> {
  return spawnServerProcess([
    '--host', '127.0.0.1', '--port', '0', '--redis-url', engines.redis.url, '--postgres-url', engines.postgres.url, '--node-name', nodeName, ...extraArgs,
  ]);
}

/** Runs one Redis command from the test (CLIENT KILL, DEBUG, ...). */
export async function redisCommand(engines: Engines, args: string[]): Promise<unknown> {
  const client = createClient({ url: engines.redis.url });
  client.on('error', () => {});
  await client.connect();
  try {
    return await client.sendCommand(args);
  } finally {
    await client.close();
  }
}
