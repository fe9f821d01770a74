// A real rendezvous server on 127.0.0.1 with a temporary users.db, for tests.

import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LoginResponse } from '../../shared/api';
import { startServer, type RunningServer, type ServerOptions, type ServerStats } from '../../rendezvous/server';

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

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
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
    stats: () => running.stats(),
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
      try {
        await running.close();
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
    async restart() {
      await running.close();
      running = await startServer({ ...serverOptions, port: test.port });
    },
  };
  return test;
}

/** The server's stats once `predicate` holds, or the last ones read when `timeoutMs` runs out. */
export async function statsWhen(server: RunningServer, predicate: (stats: ServerStats) => boolean, timeoutMs: number): Promise<ServerStats> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stats = await server.stats();
    if (predicate(stats) || Date.now() > deadline) return stats;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

// ---- the real entry point in a child process ---------------------------------------------------

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAIN = path.join(REPO, 'rendezvous', 'main.ts');

export interface ExitResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs rendezvous/main.ts to completion (for start-up errors); kills it after `timeoutMs`. */
export function runMain(args: string[], timeoutMs = 30_000): Promise<ExitResult> {
  // node --import tsx keeps it one process: `kill -9` then hits the server itself.
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    }),
  );
}

export interface ServerProcess {
  child: ChildProcess;
  port: number;
  httpUrl: string;
  exited: Promise<ExitResult>;
  /** SIGKILL, and wait for the exit. */
  kill9(): Promise<void>;
}

/**
 * Starts rendezvous/main.ts (with `nodeFlags` for node itself) and resolves once it printed its address.
 * `root`: the checkout to run it from (the bench compares another one's server with this one's).
 */
export async function spawnServerProcess(args: string[], timeoutMs = 15_000, nodeFlags: string[] = [], root = REPO): Promise<ServerProcess> {
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', path.join(root, 'rendezvous', 'main.ts'), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<ExitResult>((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`server did not print its address in ${timeoutMs} ms: ${stderr}`));
    }, timeoutMs);
    child.stdout!.on('data', (d) => {
      stdout += d;
      const match = /https?:\/\/[^\s/]+:(\d+)\//.exec(stdout);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    void exited.then((r) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${r.code}): ${r.stderr}`));
    });
  });
  return {
    child,
    port,
    httpUrl: `http://127.0.0.1:${port}`,
    exited,
    async kill9() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** POSTs JSON from another loopback source address (127.0.0.x), as a second machine on the LAN would. */
export function postJsonFrom(localAddress: string, url: string, body: unknown): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; json: any }> {
  const target = new URL(url);
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: target.hostname, port: target.port, path: target.pathname, method: 'POST', localAddress, headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, json: text ? JSON.parse(text) : null }));
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end(payload);
  });
}
