// Fault: `kill -9` of the server while 100 registrations are in flight. Every registration that
// got a 201 is still there after the restart, and users.db loads. The 100 are sent at once from
// 127.0.0.1 (its registration cap raised in the config for this); the server queues as many as its
// hashing queue holds and answers the rest 503 BUSY at once (by design), so the kill lands on the
// queued, hashing and being-written ones.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_PASSWORD, postJson, spawnServerProcess, type ServerProcess } from './helpers/server';

const REGISTRATIONS = 100;
/** The kill lands once this many 201s are in: the rest are queued, hashing or being written. */
const KILL_AFTER_ACKNOWLEDGED = 20;
const KILL_WAIT_MS = 20_000;

const test = suite<{ dir: string; servers: ServerProcess[] }>('fault: kill -9 during registrations', { dir: '', servers: [] });

test.before.each(async (ctx) => {
  ctx.dir = await mkdtemp(path.join(tmpdir(), 'chatroom-fault-kill9-'));
  ctx.servers = [];
});
test.after.each(async (ctx) => {
  await Promise.all(ctx.servers.map((s) => s.kill9()));
  await rm(ctx.dir, { recursive: true, force: true });
});

type Outcome = number | 'connection lost';

test(`kill -9 with ${REGISTRATIONS} registrations in flight: every 201 survives, users.db loads`, async (ctx) => {
  const dbPath = path.join(ctx.dir, 'users.db');
  const config = path.join(ctx.dir, 'config.ini');
  await writeFile(config, `[limits]\nregistrations_per_address = ${REGISTRATIONS}\n`);
  const args = ['--config', config, '--host', '127.0.0.1', '--port', '0', '--db', dbPath];
  const first = await spawnServerProcess(args);
  ctx.servers.push(first);
  const names = Array.from({ length: REGISTRATIONS }, (_, i) => `inflight${i}`);
  const outcomes = new Map<string, Outcome>();
  let acknowledged = 0;
  let onAcknowledged = () => {};
  const requests = names.map(async (username) => {
    let outcome: Outcome;
    try {
      outcome = (await postJson(`${first.httpUrl}/api/register`, { username, password: DEFAULT_PASSWORD, displayName: username })).status;
    } catch {
      outcome = 'connection lost';
    }
    outcomes.set(username, outcome);
    if (outcome === 201 && ++acknowledged >= KILL_AFTER_ACKNOWLEDGED) onAcknowledged();
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${acknowledged} registrations acknowledged in ${KILL_WAIT_MS} ms`)), KILL_WAIT_MS);
    onAcknowledged = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  await first.kill9();
  await Promise.all(requests);
  assert.is((await first.exited).signal, 'SIGKILL');

  const count = (o: Outcome) => [...outcomes.values()].filter((x) => x === o).length;
  const lost = count('connection lost');
  assert.ok(lost > 0, 'the kill landed while registrations were still in flight');
  const ok = names.filter((n) => outcomes.get(n) === 201);
  const fileLines = (await readFile(dbPath, 'utf8')).split('\n').filter(Boolean).length;

  const second = await spawnServerProcess(args); // users.db loads
  ctx.servers.push(second);
  // Registering an acknowledged name again must be refused: the account is there (no hashing needed).
  const again = await Promise.all(ok.map(async (username) => (await postJson(`${second.httpUrl}/api/register`, { username, password: DEFAULT_PASSWORD, displayName: username })).status));
  assert.equal(again, ok.map(() => 409), 'every acknowledged account is still registered');
  // And a sample of them log in with their password.
  for (const username of [ok[0], ok[ok.length - 1]]) {
    assert.is((await postJson(`${second.httpUrl}/api/login`, { username, password: DEFAULT_PASSWORD })).status, 200, `${username} logs in`);
  }
  console.log(`    kill -9: ${ok.length} x 201, ${count(503)} x 503 busy, ${lost} cut by the kill; all ${ok.length} present after restart (${fileLines} lines in users.db)`);
});

test.run();
