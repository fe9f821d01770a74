// Fault: the user store cannot be written. Registration answers 503 STORE_UNAVAILABLE, the server
// stays up, nothing already stored is damaged, and a refused registration leaves no account
// behind (neither in the file nor in memory).
//
// How the fault is made (real kernel refusals, no test seam in the server):
// - read-only: `chattr +i` (immutable: even root gets EPERM) when running as root, since chmod does
//   not stop root; `chmod 0444` (EACCES) otherwise.
// - full disk: the store lives on a small tmpfs mounted for the test and filled up (ENOSPC, with a
//   real partial write of the last line). Mounting needs root; without it that test says it was
//   skipped.

import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_PASSWORD, postJson, spawnServerProcess, type ServerProcess } from './helpers/server';
import { SessionStore } from '../rendezvous/accounts/sessions';

const IS_ROOT = process.getuid?.() === 0;
/** Small enough to fill in a moment, large enough for the server's files. */
const TMPFS_BYTES = 256 * 1024;
/** Registrations tried while the disk is full before giving up on seeing a refusal. */
const FULL_DISK_ATTEMPTS_MAX = 40;

const test = suite<{ dir: string; server?: ServerProcess }>('fault: user store cannot be written', { dir: '' });

test.before.each(async (ctx) => {
  ctx.dir = await mkdtemp(path.join(tmpdir(), 'chatroom-fault-store-'));
  ctx.server = undefined;
});
test.after.each(async (ctx) => {
  await ctx.server?.kill9();
  await rm(ctx.dir, { recursive: true, force: true });
});

interface Reply {
  status: number;
  code?: string;
}

async function reply(res: Response): Promise<Reply> {
  const body = (await res.json().catch(() => ({}))) as { error?: { code: string } };
  return { status: res.status, code: body.error?.code };
}

const register = async (url: string, username: string) => reply(await postJson(`${url}/api/register`, { username, password: DEFAULT_PASSWORD, displayName: username }));
const login = async (url: string, username: string) => reply(await postJson(`${url}/api/login`, { username, password: DEFAULT_PASSWORD }));

/** Makes `file` refuse writes; returns the undo and how it was done. */
async function makeUnwritable(file: string): Promise<{ how: string; undo(): Promise<void> }> {
  if (!IS_ROOT) {
    await chmod(file, 0o444);
    return { how: 'chmod 0444', undo: () => chmod(file, 0o644) };
  }
  execFileSync('chattr', ['+i', file]);
  return { how: 'chattr +i (running as root)', undo: async () => void execFileSync('chattr', ['-i', file]) };
}

const serverArgs = (dbPath: string, port = 0) => ['--host', '127.0.0.1', '--port', String(port), '--db', dbPath];

test('read-only users.db: 503 STORE_UNAVAILABLE, no phantom account, the store recovers, a restart loads everything', async (ctx) => {
  const dbPath = path.join(ctx.dir, 'users.db');
  ctx.server = await spawnServerProcess(serverArgs(dbPath));
  const url = ctx.server.httpUrl;
  assert.equal(await register(url, 'kept'), { status: 201, code: undefined });
  const before = await readFile(dbPath);
  const fault = await makeUnwritable(dbPath);
  try {
    assert.equal(await register(url, 'refused'), { status: 503, code: 'STORE_UNAVAILABLE' }, fault.how);
    // A phantom in memory would answer 409 here, or let the refused name log in.
    assert.equal(await register(url, 'refused'), { status: 503, code: 'STORE_UNAVAILABLE' }, 'the name is not blocked');
    assert.equal(await login(url, 'refused'), { status: 401, code: 'BAD_CREDENTIALS' }, 'no phantom account');
    assert.equal(await login(url, 'kept'), { status: 200, code: undefined }, 'existing accounts still log in');
    assert.is(ctx.server.child.exitCode, null, 'the server is still up');
  } finally {
    await fault.undo();
  }
  assert.equal(await readFile(dbPath), before, 'users.db is exactly as it was');
  assert.equal(await register(url, 'refused'), { status: 201, code: undefined }, 'writable again: registration works without a restart');
  await ctx.server.kill9();
  ctx.server = await spawnServerProcess(serverArgs(dbPath));
  for (const name of ['kept', 'refused']) assert.equal(await login(ctx.server.httpUrl, name), { status: 200, code: undefined }, `${name} after restart`);
  console.log(`    read-only store (${fault.how}): 503 STORE_UNAVAILABLE, file unchanged, no phantom`);
});

test('read-only sessions file: login answers 503 STORE_UNAVAILABLE, the server stays up', async (ctx) => {
  const dbPath = path.join(ctx.dir, 'users.db');
  ctx.server = await spawnServerProcess(serverArgs(dbPath));
  const url = ctx.server.httpUrl;
  assert.is((await register(url, 'kept')).status, 201);
  const fault = await makeUnwritable(`${dbPath}.sessions`);
  try {
    assert.equal(await login(url, 'kept'), { status: 503, code: 'STORE_UNAVAILABLE' });
    assert.equal(await register(url, 'other'), { status: 201, code: undefined }, 'registration does not need the sessions file');
    assert.is(ctx.server.child.exitCode, null, 'the server is still up');
  } finally {
    await fault.undo();
  }
  assert.equal(await login(url, 'kept'), { status: 200, code: undefined });
});

/** Mounts a small tmpfs at `dir`, or returns null when this process may not mount. */
function mountTmpfs(dir: string): (() => void) | null {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${TMPFS_BYTES}`, 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    return null;
  }
  return () => execFileSync('umount', [dir]);
}

/** Fills the file system holding `dir` with filler files; returns them. */
async function fillUp(dir: string): Promise<string[]> {
  const fillers: string[] = [];
  // Big pieces first, then single bytes into what is left (bounded by the tmpfs size).
  for (const size of [16 * 1024, 4 * 1024, 1]) {
    for (let i = 0; i < TMPFS_BYTES / size + 1; i++) {
      const file = path.join(dir, `filler-${fillers.length}`);
      try {
        await writeFile(file, Buffer.alloc(size));
        fillers.push(file);
      } catch {
        await unlink(file).catch(() => {});
        break;
      }
    }
  }
  return fillers;
}

test('full disk: 503 STORE_UNAVAILABLE, no torn line left behind, every 201 survives a kill -9', async (ctx) => {
  const mountPoint = path.join(ctx.dir, 'small-disk');
  await mkdir(mountPoint);
  const unmount = mountTmpfs(mountPoint);
  if (!unmount) {
    console.log('    full disk: SKIPPED (mounting a tmpfs needs root)');
    return;
  }
  try {
    const dbPath = path.join(mountPoint, 'users.db');
    ctx.server = await spawnServerProcess(serverArgs(dbPath));
    const url = ctx.server.httpUrl;
    const acknowledged = ['early1', 'early2'];
    for (const name of acknowledged) assert.is((await register(url, name)).status, 201);
    const fillers = await fillUp(mountPoint);
    // Lines that still fit the file's last page are written; the first that does not is refused.
    let refused: string | undefined;
    for (let i = 0; i < FULL_DISK_ATTEMPTS_MAX && !refused; i++) {
      const name = `full${i}`;
      const r = await register(url, name);
      if (r.status === 201) acknowledged.push(name);
      else if (r.status === 503 && r.code === 'STORE_UNAVAILABLE') refused = name;
      else assert.unreachable(`unexpected ${JSON.stringify(r)} for ${name}`);
    }
    assert.ok(refused, `a registration was refused within ${FULL_DISK_ATTEMPTS_MAX} attempts`);
    assert.ok((await readFile(dbPath, 'utf8')).endsWith('\n'), 'the partial line of the failed append was cut off');
    // A login writes a session: it fits in the sessions file's last page, or is refused clearly.
    const loginWhileFull = await login(url, 'early1');
    assert.ok(loginWhileFull.status === 200 || loginWhileFull.code === 'STORE_UNAVAILABLE', JSON.stringify(loginWhileFull));
    assert.is(ctx.server.child.exitCode, null, 'the server is still up');
    await Promise.all(fillers.map((f) => unlink(f)));
    // Space again: the next append must start on a fresh line, or this acknowledged account would be lost.
    assert.equal(await register(url, refused!), { status: 201, code: undefined }, 'the refused name is free and the store works again');
    acknowledged.push(refused!);
    await ctx.server.kill9();
    ctx.server = await spawnServerProcess(serverArgs(dbPath));
    for (const name of acknowledged) assert.equal(await login(ctx.server.httpUrl, name), { status: 200, code: undefined }, `${name} after kill -9 and restart`);
    console.log(`    full disk (tmpfs ${TMPFS_BYTES / 1024} KiB): ${acknowledged.length - 1} accounts written around one 503, all present after kill -9`);
  } finally {
    await ctx.server?.kill9();
    ctx.server = undefined;
    unmount();
  }
});

test('a logout that cannot be written stays a logout: the file is rewritten without the session once it can be', async ({ dir }) => {
  const file = path.join(dir, 'users.db.sessions');
  const store = await SessionStore.open(file, 60_000, () => {}, 50);
  const { token, session } = await store.create('user-1');
  const kept = await store.create('user-2');
  try {
    const unwritable = await makeUnwritable(file);
    let code = 'none';
    try {
      await store.revoke(session.tokenHash);
    } catch (error) {
      code = (error as { code?: string }).code ?? 'other';
    } finally {
      await unwritable.undo();
    }
    assert.is(code, 'STORE_UNAVAILABLE', `the logout is refused (${unwritable.how})`);
    assert.is(await store.lookup(token), null, 'revoked at once');
    const deadline = Date.now() + 10_000;
    while ((await readFile(file, 'utf8')).includes(session.tokenHash)) {
      if (Date.now() > deadline) throw new Error('the session stayed in the file');
      await new Promise((resolve) => setTimeout(resolve, 50)); // polling a file: nothing to wait on
    }
  } finally {
    await store.close();
  }
  const reopened = await SessionStore.open(file); // as after a restart
  try {
    assert.is(await reopened.lookup(token), null, 'the logout survived');
    assert.is((await reopened.lookup(kept.token))?.userId, 'user-2', 'the other session too');
  } finally {
    await reopened.close();
  }
});

test.run();
