// Real PostgreSQL and Redis servers for tests: each on loopback, a free port and a temporary data
// folder, started by the test and stopped at its end. Nothing is downloaded: the binaries come
// from Debian's packages (postgresql, redis-server); a missing one is reported with what to install.

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** How long an engine may take to start or stop (ms); initdb alone takes ~1.5 s here. */
const ENGINE_START_TIMEOUT_MS = 30_000;

const POSTGRES_DIRS = ['/usr/local/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin', '/usr/bin'];

export const POSTGRES_MISSING = 'PostgreSQL binaries (initdb, pg_ctl) not found: install them with `apt-get install -y postgresql`';
export const REDIS_MISSING = 'redis-server not found: install it with `apt-get install -y redis-server`';

/** The folder holding initdb and pg_ctl, or undefined. */
export function postgresBinDir(): string | undefined {
  return POSTGRES_DIRS.find((dir) => existsSync(path.join(dir, 'initdb')) && existsSync(path.join(dir, 'pg_ctl')));
}

export function redisServerPath(): string | undefined {
  return ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((file) => existsSync(file));
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

const isRoot = process.getuid?.() === 0;

/** initdb and postgres refuse to run as root: as root they run as the postgres user. */
function asPostgres(bin: string, args: string[]): Promise<{ stdout: string; stderr: string }> {
  const [file, argv] = isRoot ? ['runuser', ['-u', 'postgres', '--', bin, ...args]] : [bin, args];
  return run(file, argv, { timeout: ENGINE_START_TIMEOUT_MS });
}

export interface TestPostgres {
  url: string;
  port: number;
  /** Stops the server, keeping its data (an outage). */
  stop(): Promise<void>;
  /** Starts it again on the same port with the same data. */
  start(): Promise<void>;
  /** Stops it and removes its data. */
  destroy(): Promise<void>;
}

export async function startPostgres(): Promise<TestPostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error(POSTGRES_MISSING);
  const dir = await mkdtemp(path.join(tmpdir(), 'chatroom-pg-'));
  const data = path.join(dir, 'data');
  if (isRoot) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const { stdout: gid } = await run('id', ['-g', 'postgres']);
    await chown(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  await chmod(dir, 0o700);
  const port = await freePort();
  await asPostgres(path.join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'chat', '--no-sync']);
  const ctl = (args: string[]) => asPostgres(path.join(bin, 'pg_ctl'), ['-D', data, ...args]);
  const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const start = async () => void (await ctl(['-o', options, '-l', path.join(dir, 'log'), '-w', '-t', '30', 'start']));
  const stop = async () => void (await ctl(['-m', 'fast', '-w', 'stop']));
  await start();
  let running = true;
  return {
    url: `postgres://chat@127.0.0.1:${port}/postgres`,
    port,
    async stop() {
      if (!running) return;
      running = false;
      await stop();
    },
    async start() {
      if (running) return;
      await start();
      running = true;
    },
    async destroy() {
      if (running) await stop().catch(() => {});
      running = false;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface TestRedis {
  url: string;
  port: number;
  /** Kills the server (SIGKILL: an outage, nothing saved). */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

function spawnRedis(bin: string, port: number): Promise<ChildProcess> {
  const child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`redis-server did not start in ${ENGINE_START_TIMEOUT_MS} ms: ${output}`)), ENGINE_START_TIMEOUT_MS);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    child.once('error', fail);
    child.once('exit', (code) => fail(new Error(`redis-server exited (${code}): ${output}`)));
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        child.stdout!.removeAllListeners('data');
        child.stdout!.resume();
        resolve(child);
      }
    });
  });
}

function ended(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
}

export async function startRedis(): Promise<TestRedis> {
  const bin = redisServerPath();
  if (!bin) throw new Error(REDIS_MISSING);
  const port = await freePort();
  let child: ChildProcess | undefined = await spawnRedis(bin, port);
  const halt = async (signal: NodeJS.Signals) => {
    if (!child) return;
    const done = ended(child);
    child.kill(signal);
    await done;
    child = undefined;
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    kill: () => halt('SIGKILL'),
    async start() {
      child ??= await spawnRedis(bin, port);
    },
    stop: () => halt('SIGTERM'),
  };
}
