// A real rendezvous server on 127.0.0.1 with a temporary users.db, for tests.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { LoginResponse } from '../../shared/api';
import { startServer, type RunningServer, type ServerOptions } from '../../rendezvous/server';

export interface TestServer extends RunningServer {
  /** Temp dir holding users.db. */
  dir: string;
  register(username: string, password?: string, displayName?: string): Promise<void>;
  /** Returns the session token. */
  login(username: string, password?: string): Promise<string>;
  registerAndLogin(username: string): Promise<string>;
  /** Closes the server and removes the temp dir. */
  stop(): Promise<void>;
  /** Closes and starts again on the same port with the same db (sessions survive). */
  restart(): Promise<void>;
}

export const DEFAULT_PASSWORD = 'correct horse battery';

async function postJson(url: string, body: unknown): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
}

export async function startTestServer(options: Partial<ServerOptions> = {}): Promise<TestServer> {
  const dir = await mkdtemp(path.join(tmpdir(), 'chatroom-test-'));
  const serverOptions: ServerOptions = {
    host: '127.0.0.1',
    port: 0,
    dbPath: path.join(dir, 'users.db'),
    relay: 'auto',
    log: () => {},
    ...options,
  };
  let running: RunningServer;
  try {
    running = await startServer(serverOptions);
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  let stopped = false;

  const test: TestServer = {
    dir,
    host: running.host,
    port: running.port,
    httpUrl: running.httpUrl,
    wsUrl: running.wsUrl,
    close: () => running.close(),
    async register(username, password = DEFAULT_PASSWORD, displayName = username) {
      const res = await postJson(`${test.httpUrl}/api/register`, { username, password, displayName });
      if (res.status !== 201) throw new Error(`register ${username}: ${res.status} ${await res.text()}`);
    },
    async login(username, password = DEFAULT_PASSWORD) {
      const res = await postJson(`${test.httpUrl}/api/login`, { username, password });
      if (res.status !== 200) throw new Error(`login ${username}: ${res.status} ${await res.text()}`);
      return ((await res.json()) as LoginResponse).token;
    },
    async registerAndLogin(username) {
      await test.register(username);
      return test.login(username);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await running.close();
      await rm(dir, { recursive: true, force: true });
    },
    async restart() {
      await running.close();
      running = await startServer({ ...serverOptions, port: test.port });
    },
  };
  return test;
}
