import argon2 from 'argon2';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ApiErrorBody, LoginResponse } from '../shared/api';
import { LOGIN_FAILURES_PER_ACCOUNT, LOGIN_FAILURES_PER_ACCOUNT_ADDRESS } from '../shared/limits';
import { rejects } from './helpers/rejects';
import { Accounts } from '../rendezvous/accounts/accounts';
import { ARGON2_OPTIONS, PasswordHasher } from '../rendezvous/accounts/passwordHasher';
import { LoginThrottle } from '../rendezvous/accounts/loginThrottle';
import { RegistrationThrottle } from '../rendezvous/accounts/registrationThrottle';
import { SessionStore } from '../rendezvous/accounts/sessions';
import { postJson, postJsonFrom, startTestServer, DEFAULT_PASSWORD } from './helpers/server';
import { connectPeer } from './helpers/ws';

const test = suite('rendezvous login throttling and hashing');

function login(url: string, username: string, password: string): Promise<Response> {
  return postJson(`${url}/api/login`, { username, password });
}

test('per-account throttle: 429 with Retry-After, even for the right password', async () => {
  const server = await startTestServer({ loginLimits: { failuresPerAccount: 3 } });
  try {
    await server.register('victim');
    await server.register('other');
    for (let i = 0; i < 3; i++) assert.is((await login(server.httpUrl, 'victim', 'wrong password')).status, 401);
    const res = await login(server.httpUrl, 'VICTIM', DEFAULT_PASSWORD);
    assert.is(res.status, 429);
    const retryAfter = Number(res.headers.get('retry-after'));
    assert.ok(retryAfter > 3000 && retryAfter <= 3600, `Retry-After ${retryAfter}`);
    const body = (await res.json()) as ApiErrorBody;
    assert.is(body.error.code, 'LOGIN_THROTTLED');
    assert.is(body.error.retryAfterSeconds, retryAfter);
    assert.is((await login(server.httpUrl, 'other', DEFAULT_PASSWORD)).status, 200, 'other accounts unaffected');
  } finally {
    await server.stop();
  }
});

test('concurrent wrong logins never overshoot the limit', async () => {
  const server = await startTestServer({ loginLimits: { failuresPerAccount: 5 } });
  try {
    await server.register('target');
    const responses = await Promise.all(Array.from({ length: 30 }, () => login(server.httpUrl, 'target', 'wrong password')));
    const statuses = responses.map((r) => r.status);
    assert.is(statuses.filter((s) => s === 401).length, 5);
    assert.is(statuses.filter((s) => s === 429).length, 25);
  } finally {
    await server.stop();
  }
});

test('a successful login does not count as a failure', async () => {
  const server = await startTestServer({ loginLimits: { failuresPerAccount: 2 } });
  try {
    await server.register('fine');
    for (let i = 0; i < 5; i++) await server.login('fine');
    assert.is((await login(server.httpUrl, 'fine', 'wrong password')).status, 401);
    assert.is((await login(server.httpUrl, 'fine', DEFAULT_PASSWORD)).status, 200);
  } finally {
    await server.stop();
  }
});

test('per-address throttle across many usernames', async () => {
  const server = await startTestServer({ loginLimits: { failuresPerAddress: 5 } });
  try {
    await server.register('real');
    for (let i = 0; i < 5; i++) assert.is((await login(server.httpUrl, `guess${i}`, 'wrong password')).status, 401);
    const res = await login(server.httpUrl, 'real', DEFAULT_PASSWORD);
    assert.is(res.status, 429);
    assert.ok(Number(res.headers.get('retry-after')) > 0);
  } finally {
    await server.stop();
  }
});

test(`default limits: ${LOGIN_FAILURES_PER_ACCOUNT_ADDRESS} failures an hour per account and address, ${LOGIN_FAILURES_PER_ACCOUNT} per account`, async () => {
  const server = await startTestServer();
  try {
    await server.register('target');
    const addresses = Array.from({ length: LOGIN_FAILURES_PER_ACCOUNT / LOGIN_FAILURES_PER_ACCOUNT_ADDRESS }, (_, i) => `127.0.0.${i + 2}`);
    for (const address of addresses) {
      const batch = await Promise.all(Array.from({ length: LOGIN_FAILURES_PER_ACCOUNT_ADDRESS }, () => postJsonFrom(address, `${server.httpUrl}/api/login`, { username: 'target', password: 'wrong password' })));
      for (const res of batch) assert.is(res.status, 401);
      assert.is((await postJsonFrom(address, `${server.httpUrl}/api/login`, { username: 'target', password: 'wrong password' })).status, 429, 'the pair is full');
    }
    const fresh = await postJsonFrom('127.0.0.99', `${server.httpUrl}/api/login`, { username: 'target', password: 'wrong password' });
    assert.is(fresh.status, 429, 'the account is full for logins without a device token');
  } finally {
    await server.stop();
  }
});

test('failures from other addresses never lock out a device that logged in before (issue 15, row 1)', async () => {
  // The 100 failures over 5 addresses, scaled down 10x (every failure costs a hash).
  const server = await startTestServer({ loginLimits: { failuresPerAccount: 10, failuresPerAccountAddress: 2 } });
  try {
    await server.register('victim');
    const first = await postJsonFrom('127.0.0.1', `${server.httpUrl}/api/login`, { username: 'victim', password: DEFAULT_PASSWORD });
    assert.is(first.status, 200);
    const device = (first.json as LoginResponse).device;
    assert.match(device.token, /^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
    // The attacker: 100 wrong passwords, spread over addresses and over case and dotless-i spellings.
    const spellings = ['victim', 'VICTIM', 'vıctim', 'Victim'];
    for (let a = 0; a < 5; a++) {
      await Promise.all(
        Array.from({ length: 2 }, (_, i) => postJsonFrom(`127.0.0.${a + 2}`, `${server.httpUrl}/api/login`, { username: spellings[i % spellings.length], password: 'x'.repeat(8) })),
      );
    }
    const stranger = await postJsonFrom('127.0.0.50', `${server.httpUrl}/api/login`, { username: 'victim', password: DEFAULT_PASSWORD });
    assert.is(stranger.status, 429, 'a login without a device token is locked');
    assert.ok(Number(stranger.headers['retry-after']) > 0, 'and told when to retry');
    assert.is(stranger.json.error.code, 'LOGIN_THROTTLED');
    // The owner's device, from its own address or another one, still gets in.
    for (const address of ['127.0.0.1', '127.0.0.51']) {
      const owner = await postJsonFrom(address, `${server.httpUrl}/api/login`, { username: 'victim', password: DEFAULT_PASSWORD, deviceToken: device.token });
      assert.is(owner.status, 200, `owner from ${address}`);
      assert.equal((owner.json as LoginResponse).device, device, 'the same device');
    }
    // A device token of another account is no key to this one.
    await server.register('mallory');
    const other = await postJsonFrom('127.0.0.52', `${server.httpUrl}/api/login`, { username: 'mallory', password: DEFAULT_PASSWORD });
    const borrowed = await postJsonFrom('127.0.0.52', `${server.httpUrl}/api/login`, { username: 'victim', password: DEFAULT_PASSWORD, deviceToken: other.json.device.token });
    assert.is(borrowed.status, 429);
  } finally {
    await server.stop();
  }
});

test('a known device has its own failure count', async () => {
  const throttle = new LoginThrottle({ failuresPerDevice: 2, failuresPerAccount: 1 });
  const device = { account: 'a', address: 'ip', device: 'd1' };
  await throttle.recordFailure({ account: 'a', address: 'other' }, 0);
  await rejects(throttle.check({ account: 'a', address: 'ip' }, 1), (e: { code: string }) => e.code === 'LOGIN_THROTTLED');
  await throttle.check(device, 1);
  await throttle.recordFailure(device, 2);
  await throttle.recordFailure(device, 3);
  await rejects(throttle.check(device, 4), (e: { code: string }) => e.code === 'LOGIN_THROTTLED');
  await throttle.check({ ...device, device: 'd2' }, 4); // another device of the account
});

test('login names that no account could have never become throttle keys (issue 15, row 9)', async () => {
  const server = await startTestServer();
  try {
    const names = Array.from({ length: 300 }, (_, i) => `${i}`.padEnd(15_000, 'n'));
    const statuses = await Promise.all(names.map((username) => login(server.httpUrl, username, 'wrong password').then((r) => r.status)));
    assert.ok(statuses.every((s) => s === 401 || s === 429), 'refused');
    assert.is(statuses.filter((s) => s === 401).length, 300, 'they count against the address (300 an hour)');
    assert.is((await login(server.httpUrl, 'somebody', 'wrong password')).status, 429, 'the address is at its limit');
  } finally {
    await server.stop();
  }
  const throttle = new LoginThrottle();
  const accounts = new Accounts({ findByUsername: async () => null } as never, {} as never, {} as never, throttle, new RegistrationThrottle());
  for (let i = 0; i < 50; i++) await accounts.login({ username: `${i}`.padEnd(15_000, 'n'), password: 'wrong password' }, '10.0.0.1').catch(() => {});
  assert.is(throttle.trackedKeys, 1, 'only the address is tracked');
});

test('sessions per account are capped: the oldest is revoked, its socket closed (issue 15, row 9)', async () => {
  const server = await startTestServer({ sessionsPerAccountMax: 4 });
  try {
    await server.register('busy');
    const first = await server.login('busy');
    const socket = await connectPeer(server.wsUrl, first);
    const tokens: string[] = [];
    for (let i = 0; i < 4; i++) tokens.push(await server.login('busy'));
    assert.is((await socket.waitClosed(5_000)).code, 4002, 'the socket of the dropped session is closed');
    assert.is((await fetch(`${server.httpUrl}/api/me`, { headers: { Authorization: `Bearer ${first}` } })).status, 401, 'oldest revoked');
    assert.is((await fetch(`${server.httpUrl}/api/me`, { headers: { Authorization: `Bearer ${tokens[0]}` } })).status, 200, 'the rest live');
    const lines = (await readFile(path.join(server.dir, 'users.db.sessions'), 'utf8')).trim().split('\n');
    await server.restart();
    assert.ok(lines.length >= 4);
    const live = await Promise.all(tokens.map((t) => fetch(`${server.httpUrl}/api/me`, { headers: { Authorization: `Bearer ${t}` } }).then((r) => r.status)));
    assert.ok(live.every((s) => s === 200), 'the capped set survives a restart');
  } finally {
    await server.stop();
  }
});

test('sessions above the cap in an old file are trimmed at load, oldest first', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'chatroom-sessions-'));
  try {
    const file = path.join(dir, 'users.db.sessions');
    const now = Date.now();
    const lines = Array.from({ length: 5 }, (_, i) => JSON.stringify({ _id: `s${i}`, tokenHash: `h${i}`, userId: 'u1', expiresAt: now + 60_000 + i }));
    lines.push(JSON.stringify({ _id: 'other', tokenHash: 'hx', userId: 'u2', expiresAt: now + 60_000 }));
    await writeFile(file, `${lines.join('\n')}\n`);
    const logged: string[] = [];
    const store = await SessionStore.open(file, 60_000, (m) => logged.push(m), 10_000, 2);
    await store.close();
    const docs = (await readFile(file, 'utf8')).trim().split('\n').map((l) => JSON.parse(l) as { tokenHash?: string });
    const kept = docs.flatMap((d) => (d.tokenHash ? [d.tokenHash] : [])).sort();
    assert.equal(kept, ['h3', 'h4', 'hx']);
    assert.ok(logged.some((m) => m.includes('revoked 3 sessions')), logged.join('\n'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('sliding window forgets old failures', async () => {
  const throttle = new LoginThrottle({ failuresPerAccount: 2, windowMs: 1000 });
  const attempt = { account: 'a', address: 'ip' };
  await throttle.recordFailure(attempt, 0);
  await throttle.recordFailure(attempt, 500);
  await rejects(throttle.check(attempt, 900), (e: { code: string; retryAfterSeconds: number }) => e.code === 'LOGIN_THROTTLED' && e.retryAfterSeconds === 1);
  await throttle.check(attempt, 1001); // the first failure left the window
});

test('a login flood is bounded: 503 BUSY beyond the hash queue, never a crash', async () => {
  const hasher = new PasswordHasher({ concurrency: 1, queueMax: 2 });
  const results = await Promise.allSettled(Array.from({ length: 6 }, () => hasher.hash('password123')));
  const busy = results.filter((r) => r.status === 'rejected' && (r.reason as { code: string }).code === 'BUSY').length;
  assert.is(busy, 3);
  assert.is(results.filter((r) => r.status === 'fulfilled').length, 3);
});

test('HTTP: a registration flood whose wait passes the bound gets 503 BUSY with Retry-After, never a 500', async () => {
  const total = 40;
  // All from 127.0.0.1: the per-address registration cap would refuse them before the hash queue fills.
  // The accepted wait lowered to a few hashes, so 40 at once pass it on any machine.
  const server = await startTestServer({ registrationLimits: { perAddress: total }, hasherLimits: { waitMaxMs: 100, alwaysAccepted: 2 } });
  try {
    const responses = await Promise.all(
      Array.from({ length: total }, (_, i) => postJson(`${server.httpUrl}/api/register`, { username: `flood${i}`, password: DEFAULT_PASSWORD, displayName: 'F' })),
    );
    const busy = responses.filter((r) => r.status === 503);
    assert.ok(busy.length > 0, 'some were refused');
    assert.ok(responses.every((r) => r.status === 201 || r.status === 503), 'only 201 or 503');
    assert.ok(Number(busy[0].headers.get('retry-after')) >= 1, 'Retry-After in whole seconds');
    assert.is(((await busy[0].json()) as ApiErrorBody).error.code, 'BUSY');
    await Promise.all(responses.map((r) => r.body?.cancel().catch(() => {})));
    console.log(`    flood of ${total} registrations: ${total - busy.length} x 201, ${busy.length} x 503`);
  } finally {
    await server.stop();
  }
});

test('argon2id parameters, timing, and rehash of weaker hashes at login', async () => {
  const hasher = new PasswordHasher();
  const started = performance.now();
  const phc = await hasher.hash('password123');
  console.log(`    argon2id m=19456 t=2 p=1: ${Math.round(performance.now() - started)} ms a hash`);
  assert.match(phc, /^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
  const weak = await argon2.hash('password123', { ...ARGON2_OPTIONS, timeCost: 1, memoryCost: 8192 });
  const result = await hasher.verify(weak, 'password123');
  assert.ok(result.ok);
  assert.match(result.upgradedHash ?? '', /^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
  assert.is((await hasher.verify(phc, 'password123')).upgradedHash, undefined);
  assert.not.ok((await hasher.verify(phc, 'wrong')).ok);
});

test.run();
