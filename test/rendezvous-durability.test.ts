import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startServer } from '../rendezvous/server';
import { postJson, runMain, spawnServerProcess, DEFAULT_PASSWORD } from './helpers/server';

const test = suite<{ dir: string }>('rendezvous durability', { dir: '' });

test.before.each(async (ctx) => {
  ctx.dir = await mkdtemp(path.join(tmpdir(), 'chatroom-durability-'));
});
test.after.each(async (ctx) => {
  await rm(ctx.dir, { recursive: true, force: true });
});

const account = (username: string) => ({ username, password: DEFAULT_PASSWORD, displayName: username });

const modeOf = async (file: string) => (await stat(file)).mode & 0o777;

test('users.db and its sessions file are created 0600, stay so after compaction, and a wider one is fixed at start with a warning (issue 15, row 7)', async ({ dir }) => {
  const db = path.join(dir, 'users.db');
  // The real entry point first: it creates both files before the store opens them.
  const main = await spawnServerProcess(['--port', '0', '--host', '127.0.0.1', '--db', db]);
  try {
    assert.is((await postJson(`${main.httpUrl}/api/register`, account('owner'))).status, 201);
    assert.is((await postJson(`${main.httpUrl}/api/login`, { username: 'owner', password: DEFAULT_PASSWORD })).status, 200);
    assert.is(await modeOf(db), 0o600, 'users.db');
    assert.is(await modeOf(`${db}.sessions`), 0o600, 'users.db.sessions');
  } finally {
    await main.kill9();
  }
  await chmod(db, 0o644);
  await chmod(`${db}.sessions`, 0o666);
  const logged: string[] = [];
  const server = await startServer({ host: '127.0.0.1', port: 0, dbPath: db, log: (m) => logged.push(m) });
  await server.close(); // compacts both files: NeDB writes new ones and renames them
  assert.is(await modeOf(db), 0o600, 'users.db fixed and kept after compaction');
  assert.is(await modeOf(`${db}.sessions`), 0o600, 'sessions fixed and kept after compaction');
  assert.ok(logged.some((m) => m.includes('users.db: was mode 644')), logged.join('\n'));
  assert.ok(logged.some((m) => m.includes('users.db.sessions: was mode 666')), logged.join('\n'));
});

test('a read-only users.db made owner-only stays read-only', async ({ dir }) => {
  const db = path.join(dir, 'users.db');
  await writeFile(db, '', { mode: 0o444 });
  const server = await startServer({ host: '127.0.0.1', port: 0, dbPath: db, log: () => {} });
  await server.close().catch(() => {}); // the compaction at close may fail on a read-only file
  assert.is((await modeOf(db)) & 0o077, 0, 'no longer readable by others');
  assert.is((await modeOf(db)) & 0o200, 0, 'still not writable');
});

test('an acknowledged registration and sessions survive kill -9', async ({ dir }) => {
  const args = ['--port', '0', '--host', '127.0.0.1', '--db', path.join(dir, 'users.db')];
  const first = await spawnServerProcess(args);
  let token: string;
  try {
    assert.is((await postJson(`${first.httpUrl}/api/register`, account('early'))).status, 201);
    const loginRes = await postJson(`${first.httpUrl}/api/login`, { username: 'early', password: DEFAULT_PASSWORD });
    token = ((await loginRes.json()) as { token: string }).token;
    const res = await postJson(`${first.httpUrl}/api/register`, account('last'));
    assert.is(res.status, 201);
  } finally {
    await first.kill9(); // right after the 201
  }
  assert.is((await first.exited).signal, 'SIGKILL');
  const second = await spawnServerProcess(args);
  try {
    assert.is((await postJson(`${second.httpUrl}/api/login`, { username: 'last', password: DEFAULT_PASSWORD })).status, 200);
    const me = await fetch(`${second.httpUrl}/api/me`, { headers: { Authorization: `Bearer ${token}` } });
    assert.is(me.status, 200, 'the session survived the restart');
  } finally {
    await second.kill9();
  }
});

test('a torn last line (crash mid-append) does not stop the store from loading', async ({ dir }) => {
  const dbPath = path.join(dir, 'users.db');
  let server = await startServer({ host: '127.0.0.1', port: 0, dbPath, staticDir: dir, log: () => {} });
  assert.is((await postJson(`${server.httpUrl}/api/register`, account('kept'))).status, 201);
  await server.close();
  await writeFile(dbPath, `${await readFile(dbPath, 'utf8')}{"_id":"torn","key":"half`);
  const repairs: string[] = [];
  server = await startServer({ host: '127.0.0.1', port: 0, dbPath, staticDir: dir, log: (m) => repairs.push(m) });
  try {
    assert.is((await postJson(`${server.httpUrl}/api/login`, { username: 'kept', password: DEFAULT_PASSWORD })).status, 200);
    assert.is(repairs.length, 1);
    assert.match(repairs[0], /torn last line/);
  } finally {
    await server.close();
  }
});

test('a store corrupted beyond a torn line: refused with one line, never silently emptied', async ({ dir }) => {
  const dbPath = path.join(dir, 'users.db');
  await writeFile(dbPath, 'garbage\n{"_id":"a","key":"a"}\nmore garbage\n', { mode: 0o600 }); // 0600: no mode warning
  const result = await runMain(['--host', '127.0.0.1', '--port', '0', '--db', dbPath]);
  assert.is(result.code, 1);
  assert.match(result.stderr, /^chatroom: --db .*users\.db: cannot load the user store: .*corrupt/);
  assert.is(result.stderr.trimEnd().split('\n').length, 1);
  assert.is(await readFile(dbPath, 'utf8'), 'garbage\n{"_id":"a","key":"a"}\nmore garbage\n', 'the file is left for a human to inspect');
});

test('a corrupted sessions file is set aside: the server starts, users log in again', async ({ dir }) => {
  const dbPath = path.join(dir, 'users.db');
  let server = await startServer({ host: '127.0.0.1', port: 0, dbPath, staticDir: dir, log: () => {} });
  assert.is((await postJson(`${server.httpUrl}/api/register`, account('again'))).status, 201);
  await server.close();
  await writeFile(`${dbPath}.sessions`, 'garbage\nmore garbage\n{"tokenHash":"x"}\n');
  const logged: string[] = [];
  server = await startServer({ host: '127.0.0.1', port: 0, dbPath, staticDir: dir, log: (m) => logged.push(m) });
  try {
    assert.is((await postJson(`${server.httpUrl}/api/login`, { username: 'again', password: DEFAULT_PASSWORD })).status, 200);
    assert.match(logged.join('\n'), /sessions: unreadable .* moved to .*\.corrupt-\d+/);
  } finally {
    await server.close();
  }
});

test.run();
