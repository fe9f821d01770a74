// A class logging in at once (issue 12): 200 simultaneous logins on one node all succeed with the
// clients' own retries (shared/busyRetry.ts, as the page and the CLI do), the last one within
// 1.2 x 200 x the hash time measured in this run / the hashing concurrency. The server queues by
// expected wait (PASSWORD_QUEUE_WAIT_MAX_MS), so it refuses only those that would wait too long.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultHashConcurrency } from '../rendezvous/accounts/passwordHasher';
import type { ApiErrorBody, LoginResponse } from '../shared/api';
import { retryWhenBusy } from '../shared/busyRetry';
import { ChatError, isErrorCode } from '../shared/errors';
import { DEFAULT_PASSWORD, postJson, startTestServer, type TestServer } from './helpers/server';

const LOGINS = 200;
/** Registrations in flight at once while setting up (their hashes queue like logins). */
const SETUP_AT_ONCE = 10;

/** POSTs and turns an error answer into the ChatError the page's api.ts would throw. */
async function call(url: string, body: object): Promise<unknown> {
  const res = await postJson(url, body);
  const json = (await res.json()) as unknown;
  if (res.ok) return json;
  const error = (json as ApiErrorBody).error;
  throw new ChatError(isErrorCode(error.code) ? error.code : 'INTERNAL', error.message, { retryAfterSeconds: error.retryAfterSeconds });
}

async function hashSeconds(server: TestServer): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(`${server.httpUrl}/metrics`)).text();
  const read = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)![1]);
  return { sum: read('chatroom_password_hash_seconds_sum'), count: read('chatroom_password_hash_seconds_count') };
}

const test = suite<{ server: TestServer }>('a class logging in at once');
test.before(async (ctx) => {
  ctx.server = await startTestServer({ registrationLimits: { perAddress: LOGINS } });
});
test.after(async (ctx) => {
  await ctx.server.stop();
});

test(`${LOGINS} simultaneous logins: all succeed with the clients' retries, in about the hashing time`, async ({ server }) => {
  const names = Array.from({ length: LOGINS }, (_, i) => `pupil${i}`);
  for (let i = 0; i < names.length; i += SETUP_AT_ONCE) {
    await Promise.all(names.slice(i, i + SETUP_AT_ONCE).map((username) => retryWhenBusy(() => call(`${server.httpUrl}/api/register`, { username, password: DEFAULT_PASSWORD, displayName: username }))));
  }
  const before = await hashSeconds(server);
  let refusals = 0;
  const started = performance.now();
  const finished: number[] = [];
  const results = await Promise.allSettled(
    names.map((username) =>
      retryWhenBusy(() => call(`${server.httpUrl}/api/login`, { username, password: DEFAULT_PASSWORD }) as Promise<LoginResponse>, { onWait: () => refusals++ }).then((r) => {
        finished.push(performance.now() - started);
        return r;
      }),
    ),
  );
  const after = await hashSeconds(server);
  const failed = results.filter((r) => r.status === 'rejected');
  assert.is(failed.length, 0, failed.map((r) => String((r as PromiseRejectedResult).reason)).slice(0, 3).join('; '));
  const hashMs = ((after.sum - before.sum) / (after.count - before.count)) * 1000;
  const boundMs = (1.2 * LOGINS * hashMs) / defaultHashConcurrency();
  const lastMs = Math.max(...finished);
  console.log(
    `    ${LOGINS} logins at once: all in after ${Math.round(lastMs)} ms (bound ${Math.round(boundMs)} ms = 1.2 x ${LOGINS} x ${hashMs.toFixed(1)} ms / ${defaultHashConcurrency()}); ${refusals} 503s retried by the clients`,
  );
  assert.ok(lastMs < boundMs, `the last login after ${Math.round(lastMs)} ms`);
});

test.run();
