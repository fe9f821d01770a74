import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ApiErrorBody, LoginResponse, RegisterResponse } from '../shared/api';
import { postJson, startTestServer, DEFAULT_PASSWORD, type TestServer } from './helpers/server';

const test = suite<{ server: TestServer }>('rendezvous accounts', { server: undefined as never });

test.before.each(async (ctx) => {
  ctx.server = await startTestServer();
});
test.after.each(async (ctx) => {
  await ctx.server.stop();
});

function register(server: TestServer, body: Record<string, unknown>): Promise<Response> {
  return postJson(`${server.httpUrl}/api/register`, { password: DEFAULT_PASSWORD, displayName: 'Someone', ...body });
}

function login(server: TestServer, username: unknown, password: unknown = DEFAULT_PASSWORD): Promise<Response> {
  return postJson(`${server.httpUrl}/api/login`, { username, password });
}

function me(server: TestServer, token: string): Promise<Response> {
  return fetch(`${server.httpUrl}/api/me`, { headers: { Authorization: `Bearer ${token}` } });
}

async function errorCode(res: Response): Promise<string> {
  return ((await res.json()) as ApiErrorBody).error.code;
}

test('register returns 201 and the public user; Chinese names work', async ({ server }) => {
  const res = await register(server, { username: '张伟', displayName: '张伟', bio: '你好' });
  assert.is(res.status, 201);
  const body = (await res.json()) as RegisterResponse;
  assert.equal(body.user, { username: '张伟', displayName: '张伟', bio: '你好' });
  assert.not.ok(JSON.stringify(body).includes('password'));
  const token = await server.login('张伟');
  assert.match(token, /^[A-Za-z0-9_-]{43}$/);
  assert.is((await me(server, token)).status, 200);
});

test('usernames are NFC-normalized and unique case-insensitively', async ({ server }) => {
  const decomposed = 'Cafe\u0301';
  assert.is((await register(server, { username: decomposed })).status, 201);
  // Precomposed form logs into the same account.
  assert.is((await login(server, 'Caf\u00e9')).status, 200);
  const dup = await register(server, { username: 'CAF\u00c9' });
  assert.is(dup.status, 409);
  assert.is(await errorCode(dup), 'USERNAME_TAKEN');
  assert.is((await register(server, { username: 'Alice' })).status, 201);
  const res = await register(server, { username: 'alice' });
  assert.is(res.status, 409);
  assert.is(await errorCode(res), 'USERNAME_TAKEN');
});

test('registration rules give 400 with the field code', async ({ server }) => {
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ username: '' }, 'INVALID_USERNAME'],
    [{ username: 'a'.repeat(33) }, 'INVALID_USERNAME'],
    [{ username: 'a b' }, 'INVALID_USERNAME'],
    [{ username: '../etc' }, 'INVALID_USERNAME'],
    [{ username: 'a/b' }, 'INVALID_USERNAME'],
    [{ username: { $gt: '' } }, 'INVALID_USERNAME'],
    [{ username: 'ok', password: 'short77' }, 'INVALID_PASSWORD'],
    [{ username: 'ok', password: 'p'.repeat(1025) }, 'INVALID_PASSWORD'],
    [{ username: 'ok', password: 12345678 }, 'INVALID_PASSWORD'],
    [{ username: 'ok', displayName: '' }, 'INVALID_DISPLAY_NAME'],
    [{ username: 'ok', displayName: 'd'.repeat(65) }, 'INVALID_DISPLAY_NAME'],
    [{ username: 'ok', bio: 'b'.repeat(281) }, 'INVALID_BIO'],
  ];
  for (const [body, code] of cases) {
    const res = await register(server, body);
    assert.is(res.status, 400, JSON.stringify(body).slice(0, 80));
    assert.is(await errorCode(res), code);
  }
  assert.is((await register(server, { username: '张'.repeat(32), password: 'p'.repeat(1024), bio: 'b'.repeat(280) })).status, 201);
  assert.is((await register(server, { username: 'a.b-c_9' })).status, 201);
});

test('50 simultaneous registrations of one name: exactly one 201', async () => {
  // Until each one knows the name is taken it counts towards the per-address cap: allow all 50.
  const server = await startTestServer({ registrationLimits: { perAddress: 50 } });
  try {
    const started = performance.now();
    const responses = await Promise.all(Array.from({ length: 50 }, () => register(server, { username: 'racer' })));
    const statuses = responses.map((r) => r.status);
    await Promise.all(responses.map((r) => r.body?.cancel()));
    assert.is(statuses.filter((s) => s === 201).length, 1);
    assert.is(statuses.filter((s) => s === 409).length, 49);
    console.log(`    50-way race: 1 x 201, 49 x 409 in ${Math.round(performance.now() - started)} ms`);
  } finally {
    await server.stop();
  }
});

test('malformed requests get 4xx JSON errors, never 5xx', async ({ server }) => {
  const url = `${server.httpUrl}/api/register`;
  const raw = (body: string, type = 'application/json') => fetch(url, { method: 'POST', headers: { 'Content-Type': type }, body });
  const cases: Array<[Promise<Response>, number, string]> = [
    [raw('{not json'), 400, 'BAD_JSON'],
    [raw('[1,2]'), 400, 'BAD_JSON'],
    [raw('null'), 400, 'BAD_JSON'],
    [raw('{"username":"x"}', 'text/plain'), 400, 'BAD_JSON'],
    [raw(JSON.stringify({ username: 'big', password: 'x'.repeat(20_000) })), 413, 'TOO_LARGE'],
    [fetch(url), 405, 'METHOD_NOT_ALLOWED'],
    [fetch(`${server.httpUrl}/api/nothing`), 404, 'NOT_FOUND'],
    [postJson(`${server.httpUrl}/api/login`, { username: { $ne: null }, password: 'x' }), 400, 'BAD_MESSAGE'],
    [postJson(`${server.httpUrl}/api/login`, { username: '', password: '' }), 400, 'BAD_MESSAGE'],
    [fetch(`${server.httpUrl}/api/me`), 401, 'UNAUTHORIZED'],
    [fetch(`${server.httpUrl}/api/me`, { headers: { Authorization: 'Bearer ../../etc/passwd' } }), 401, 'UNAUTHORIZED'],
    [postJson(`${server.httpUrl}/api/logout`, {}, { Authorization: `Bearer ${'A'.repeat(43)}` }), 401, 'UNAUTHORIZED'],
  ];
  for (const [pending, status, code] of cases) {
    const res = await pending;
    assert.is(res.status, status);
    assert.is(await errorCode(res), code);
  }
});

test('login, me, logout; a new token at every login', async ({ server }) => {
  await server.register('bob');
  const res = await login(server, 'bob');
  assert.is(res.status, 200);
  const body = (await res.json()) as LoginResponse;
  assert.equal(body.user, { username: 'bob', displayName: 'bob', bio: '' });
  assert.ok(body.expiresAt > Date.now());
  const second = await server.login('bob');
  assert.is.not(second, body.token);
  const meRes = await me(server, body.token);
  assert.equal(await meRes.json(), { user: body.user });
  const out = await postJson(`${server.httpUrl}/api/logout`, {}, { Authorization: `Bearer ${body.token}` });
  assert.is(out.status, 204);
  assert.is((await me(server, body.token)).status, 401);
  assert.is((await me(server, second)).status, 200, 'other sessions stay valid');
  const wrong = await login(server, 'bob', 'wrong password');
  assert.is(wrong.status, 401);
  const unknown = await login(server, 'nobody', 'wrong password');
  assert.is(unknown.status, 401);
  assert.equal(await wrong.json(), await unknown.json(), 'unknown user and wrong password look the same');
});

test('sessions expire', async () => {
  const server = await startTestServer({ sessionTtlMs: 300 });
  try {
    const token = await server.registerAndLogin('shortlived');
    assert.is((await me(server, token)).status, 200);
    const expired = await pollStatus(() => me(server, token), 401, 3_000);
    assert.is(expired, 401);
  } finally {
    await server.stop();
  }
});

async function pollStatus(request: () => Promise<Response>, want: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await request();
    await res.body?.cancel();
    if (res.status === want || Date.now() > deadline) return res.status;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

test.run();
