// The rendezvous server for a bench run: in its own process, started as `npm start` starts it,
// with a throwaway store and config.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LoginResponse } from '../shared/api';
import { DEFAULT_PASSWORD, postJson, spawnServerProcess } from '../test/helpers/server';
import { NODE_FLAGS } from './workerProcess';

export interface BenchServer {
  wsUrl: string;
  /** The server process (for its CPU time). */
  pid: number | undefined;
  registerAndLogin(username: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * The rendezvous server in its own process, started as \`npm start\` starts it, with a throwaway store.
 * `root`: another checkout to run the server of (BENCH_BEFORE), this one by default.
 */
export async function startBenchServer(relay: 'auto' | 'force', root?: string): Promise<BenchServer> {
  const dir = await mkdtemp(path.join(tmpdir(), 'chatroom-bench-'));
  const config = path.join(dir, 'config.ini');
  // The room bench registers 50 accounts from 127.0.0.1: more than the per-address default (20 an hour).
  await writeFile(config, `[relay]\nmode = ${relay}\n[limits]\nregistrations_per_address = 10000\n`);
  const server = await spawnServerProcess(['--config', config, '--host', '127.0.0.1', '--port', '0', '--db', path.join(dir, 'users.db')], 30_000, NODE_FLAGS, root);
  const post = async (what: string, body: object, status: number) => {
    const res = await postJson(`${server.httpUrl}/api/${what}`, body);
    if (res.status !== status) throw new Error(`${what}: ${res.status} ${await res.text()}`);
    return res;
  };
  return {
    wsUrl: `ws://127.0.0.1:${server.port}/ws`,
    pid: server.child.pid,
    async registerAndLogin(username) {
      await post('register', { username, password: DEFAULT_PASSWORD, displayName: username }, 201);
      const res = await post('login', { username, password: DEFAULT_PASSWORD }, 200);
      return ((await res.json()) as LoginResponse).token;
    },
    async stop() {
      server.child.kill('SIGTERM');
      await server.exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
