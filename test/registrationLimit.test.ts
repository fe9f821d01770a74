// Registrations per client address: at most `perAddress` accounts in the window, then 429
// RATE_LIMITED with Retry-After. Only registrations that created an account count, and
// concurrent ones cannot overshoot.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ApiErrorBody } from '../shared/api';
import { ChatError } from '../shared/errors';
import { REGISTRATION_WINDOW_MS } from '../shared/limits';
import { rejects } from './helpers/rejects';
import { Accounts } from '../rendezvous/accounts/accounts';
import { LoginThrottle } from '../rendezvous/accounts/loginThrottle';
import { RegistrationThrottle } from '../rendezvous/accounts/registrationThrottle';
import type { UserRecord } from '../rendezvous/accounts/store';
import { DEFAULT_PASSWORD, postJson, startTestServer, type TestServer } from './helpers/server';

const LIMIT = 3;

const test = suite<{ server: TestServer }>('registrations per address', { server: undefined as never });

test.before.each(async (ctx) => {
  ctx.server = await startTestServer({ registrationLimits: { perAddress: LIMIT } });
});
test.after.each(async (ctx) => {
  await ctx.server.stop();
});

function register(server: TestServer, username: string, password = DEFAULT_PASSWORD): Promise<Response> {
  return postJson(`${server.httpUrl}/api/register`, { username, password, displayName: username });
}

async function errorOf(res: Response): Promise<ApiErrorBody['error']> {
  return ((await res.json()) as ApiErrorBody).error;
}

async function loginStatus(server: TestServer, username: string): Promise<number> {
  const res = await postJson(`${server.httpUrl}/api/login`, { username, password: DEFAULT_PASSWORD });
  await res.body?.cancel();
  return res.status;
}

const isRateLimited = (retryAfterSeconds: number) => (e: unknown) => e instanceof ChatError && e.code === 'RATE_LIMITED' && e.retryAfterSeconds === retryAfterSeconds;

test('one registration past the limit gets 429 RATE_LIMITED with Retry-After, and no account', async ({ server }) => {
  for (let i = 0; i < LIMIT; i++) await server.register(`user${i}`);
  const res = await register(server, 'onetoomany');
  assert.is(res.status, 429);
  const retryAfter = Number(res.headers.get('retry-after'));
  assert.ok(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= REGISTRATION_WINDOW_MS / 1000, `Retry-After ${retryAfter}`);
  const error = await errorOf(res);
  assert.is(error.code, 'RATE_LIMITED');
  assert.is(error.retryAfterSeconds, retryAfter);
  assert.is(await loginStatus(server, 'onetoomany'), 401, 'no account was created');
  assert.is(await loginStatus(server, 'user0'), 200, 'the accounts made before still log in');
});

test('failed registrations do not count: a taken name, an invalid password', async ({ server }) => {
  await server.register('first');
  for (let i = 0; i < 2 * LIMIT; i++) {
    const taken = await register(server, 'first');
    assert.is(taken.status, 409);
    assert.is((await errorOf(taken)).code, 'USERNAME_TAKEN');
    const invalid = await register(server, `weak${i}`, 'short');
    assert.is(invalid.status, 400);
    assert.is((await errorOf(invalid)).code, 'INVALID_PASSWORD');
  }
  for (let i = 1; i < LIMIT; i++) await server.register(`more${i}`);
  const refused = await register(server, 'last');
  assert.is(refused.status, 429, 'exactly LIMIT accounts, whatever failed in between');
  assert.is((await errorOf(refused)).code, 'RATE_LIMITED');
});

test(`10 registrations at once with a limit of ${LIMIT}: exactly ${LIMIT} accounts`, async ({ server }) => {
  const names = Array.from({ length: 10 }, (_, i) => `racer${i}`);
  const responses = await Promise.all(names.map((name) => register(server, name)));
  const statuses = responses.map((r) => r.status);
  await Promise.all(responses.map((r) => r.body?.cancel()));
  assert.is(statuses.filter((s) => s === 201).length, LIMIT);
  assert.is(statuses.filter((s) => s === 429).length, names.length - LIMIT);
  const logins = await Promise.all(names.map((name) => loginStatus(server, name)));
  assert.equal(
    logins,
    statuses.map((s) => (s === 201 ? 200 : 401)),
    'exactly the acknowledged names have an account',
  );
});

test('the window slides: a registration leaves it REGISTRATION_WINDOW_MS later (injected clock)', async () => {
  const throttle = new RegistrationThrottle({ perAddress: 2, windowMs: 60_000 });
  await throttle.begin('10.0.0.5', 0);
  await throttle.begin('10.0.0.5', 30_000);
  await rejects(throttle.begin('10.0.0.5', 45_000), isRateLimited(15));
  await throttle.begin('10.0.0.6', 45_000); // per address
  await rejects(throttle.begin('10.0.0.5', 59_999), isRateLimited(1));
  await throttle.begin('10.0.0.5', 60_000); // the first left the window
  await rejects(throttle.begin('10.0.0.5', 60_001), isRateLimited(30));
});

test('the default window is REGISTRATION_WINDOW_MS, and a withdrawn registration frees its place', async () => {
  const throttle = new RegistrationThrottle({ perAddress: 1 });
  const failed = await throttle.begin('10.0.0.7', 0);
  await rejects(throttle.begin('10.0.0.7', 1_000), isRateLimited(REGISTRATION_WINDOW_MS / 1000 - 1));
  await failed.withdraw();
  await throttle.begin('10.0.0.7', 2_000);
  await rejects(throttle.begin('10.0.0.7', REGISTRATION_WINDOW_MS + 1_999), isRateLimited(1));
  await throttle.begin('10.0.0.7', REGISTRATION_WINDOW_MS + 2_000);
});

test('a refused registration hashes nothing; one that fails after the check does not count', async () => {
  let hashes = 0;
  let hashResult: () => Promise<string> = async () => 'phc';
  const users = {
    findByUsername: async () => null,
    hasLookAlike: () => false,
    insert: async (user: Omit<UserRecord, 'id' | 'key' | 'createdAt'>) => ({ ...user, id: 'id', key: user.username, createdAt: 0 }),
  };
  const hasher = {
    hash: () => {
      hashes++;
      return hashResult();
    },
  };
  const accounts = new Accounts(users as never, {} as never, hasher as never, new LoginThrottle(), new RegistrationThrottle({ perAddress: 1 }));
  const body = (username: string) => ({ username, password: DEFAULT_PASSWORD, displayName: username });

  hashResult = () => Promise.reject(new ChatError('BUSY', 'busy', { retryAfterSeconds: 1 }));
  await accounts.register(body('busy'), 'ip').then(
    () => assert.unreachable('BUSY expected'),
    (e: ChatError) => assert.is(e.code, 'BUSY'),
  );
  hashResult = async () => 'phc';
  assert.equal(await accounts.register(body('ok'), 'ip'), { username: 'ok', displayName: 'ok', bio: '' }, 'the busy one did not count');
  assert.is(hashes, 2);
  await accounts.register(body('refused'), 'ip').then(
    () => assert.unreachable('RATE_LIMITED expected'),
    (e: ChatError) => assert.is(e.code, 'RATE_LIMITED'),
  );
  assert.is(hashes, 2, 'refused before hashing');
});

test.run();
