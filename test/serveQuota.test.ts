// ServeQuota: each account's share of history serving per window, counted apart, refused once over,
// and whole again when its window ends.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ServeQuota } from '../client/mesh/serveQuota';

test('listings and image bytes per account and window; a refusal is reported once; the next window starts afresh', () => {
  let now = 1_000;
  const quota = new ServeQuota({ requests: 2, imageBytes: 100, windowMs: 60_000 }, () => now);
  assert.ok(quota.request('mallory'));
  assert.ok(quota.request('mallory'));
  assert.not.ok(quota.request('mallory'), 'a third listing is over the share');
  assert.ok(quota.request('bob'), 'another account counts apart');
  assert.ok(quota.spendImage('mallory', 60));
  assert.not.ok(quota.spendImage('mallory', 60), 'bytes past the share are refused');
  assert.ok(quota.spendImage('mallory', 40), 'and not counted: what still fits passes');
  assert.ok(quota.firstRefusal('mallory'));
  assert.not.ok(quota.firstRefusal('mallory'), 'reported once per window');
  now += 60_000;
  assert.ok(quota.request('mallory'), 'a new window');
  assert.ok(quota.spendImage('mallory', 100));
  assert.ok(quota.firstRefusal('mallory'));
});

test.run();
