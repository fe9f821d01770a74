import argon2 from 'argon2';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ApiErrorBody } from '../shared/api';
import { LOGIN_FAILURES_PER_ACCOUNT, PASSWORD_HASH_CONCURRENCY, PASSWORD_HASH_QUEUE_MAX } from '../shared/limits';
import { ARGON2_OPTIONS, PasswordHasher } from '../rendezvous/accounts/passwordHasher';
import { LoginThrottle } from '../rendezvous/accounts/loginThrottle';
import { postJson, startTestServer, DEFAULT_PASSWORD } from './helpers/server';

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

test(`default limit: ${LOGIN_FAILURES_PER_ACCOUNT} failures an hour per account`, async () => {
  const server = await startTestServer();
  try {
    await server.register('target');
    for (let done = 0; done < LOGIN_FAILURES_PER_ACCOUNT; done += 20) {
      const batch = await Promise.all(Array.from({ length: 20 }, () => login(server.httpUrl, 'target', 'wrong password')));
      for (const res of batch) assert.is(res.status, 401);
    }
    assert.is((await login(server.httpUrl, 'target', 'wrong password')).status, 429);
  } finally {
    await server.stop();
  }
});

test('sliding window forgets old failures', () => {
  const throttle = new LoginThrottle({ failuresPerAccount: 2, windowMs: 1000 });
  throttle.recordFailure('a', 'ip', 0);
  throttle.recordFailure('a', 'ip', 500);
  assert.throws(() => throttle.check('a', 'ip', 900), (e: { code: string; retryAfterSeconds: number }) => e.code === 'LOGIN_THROTTLED' && e.retryAfterSeconds === 1);
  throttle.check('a', 'ip', 1001); // the first failure left the window
});

test('a login flood is bounded: 503 BUSY beyond the hash queue, never a crash', async () => {
  const hasher = new PasswordHasher({ concurrency: 1, queueMax: 2 });
  const results = await Promise.allSettled(Array.from({ length: 6 }, () => hasher.hash('password123')));
  const busy = results.filter((r) => r.status === 'rejected' && (r.reason as { code: string }).code === 'BUSY').length;
  assert.is(busy, 3);
  assert.is(results.filter((r) => r.status === 'fulfilled').length, 3);
});

test('HTTP: a registration flood beyond the hash queue gets 503 BUSY with Retry-After, never a 500', async () => {
  const total = PASSWORD_HASH_CONCURRENCY + PASSWORD_HASH_QUEUE_MAX + 40;
  // All from 127.0.0.1: the per-address registration cap would refuse them before the hash queue fills.
  const server = await startTestServer({ registrationLimits: { perAddress: total } });
  try {
    const responses = await Promise.all(
      Array.from({ length: total }, (_, i) => postJson(`${server.httpUrl}/api/register`, { username: `flood${i}`, password: DEFAULT_PASSWORD, displayName: 'F' })),
    );
    const busy = responses.filter((r) => r.status === 503);
    assert.ok(busy.length > 0, 'some were refused');
    assert.ok(responses.every((r) => r.status === 201 || r.status === 503), 'only 201 or 503');
    assert.is(busy[0].headers.get('retry-after'), '1');
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
