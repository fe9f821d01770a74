// The clients' retry of a 503 at login and registration (shared/busyRetry.ts).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { busyRetryDelayMs, retryWhenBusy } from '../shared/busyRetry';
import { ChatError } from '../shared/errors';
import { BUSY_RETRY_ATTEMPTS_MAX, BUSY_RETRY_FIRST_MS, BUSY_RETRY_MAX_MS } from '../shared/limits';

test('the delay follows the server Retry-After, else doubles; always jittered and capped', () => {
  assert.is(busyRetryDelayMs(5, 2, () => 0), 1_000, 'half of Retry-After at the least');
  assert.is(busyRetryDelayMs(5, 2, () => 1), 3_000, 'one and a half times at the most');
  assert.is(busyRetryDelayMs(0, undefined, () => 0.5), BUSY_RETRY_FIRST_MS);
  assert.is(busyRetryDelayMs(2, undefined, () => 0.5), 4 * BUSY_RETRY_FIRST_MS);
  assert.is(busyRetryDelayMs(30, undefined, () => 0.5), BUSY_RETRY_MAX_MS);
  assert.is(busyRetryDelayMs(0, 3_600, () => 0.5), BUSY_RETRY_MAX_MS);
});

test('BUSY and STORE_UNAVAILABLE are retried (the waits reported), other errors and the last attempt are not', async () => {
  const waits: number[] = [];
  let calls = 0;
  const result = await retryWhenBusy(
    async () => {
      calls++;
      if (calls === 1) throw new ChatError('BUSY', 'busy', { retryAfterSeconds: 1 });
      if (calls === 2) throw new ChatError('STORE_UNAVAILABLE', 'down');
      return 'in';
    },
    { onWait: (ms) => waits.push(ms), sleep: async () => {} },
  );
  assert.is(result, 'in');
  assert.is(waits.length, 2);
  let wrong = 0;
  await retryWhenBusy(async () => {
    wrong++;
    throw new ChatError('BAD_CREDENTIALS', 'no');
  }).catch((e: ChatError) => assert.is(e.code, 'BAD_CREDENTIALS'));
  assert.is(wrong, 1, 'a wrong password is not retried');
  let busy = 0;
  await retryWhenBusy(
    async () => {
      busy++;
      throw new ChatError('BUSY', 'busy');
    },
    { sleep: async () => {} },
  ).catch((e: ChatError) => assert.is(e.code, 'BUSY'));
  assert.is(busy, BUSY_RETRY_ATTEMPTS_MAX, 'bounded');
});

test.run();
