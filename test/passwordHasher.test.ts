import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { defaultHashConcurrency } from '../rendezvous/accounts/passwordHasher';
import { PASSWORD_HASH_CONCURRENCY } from '../shared/limits';

const test = suite('password hasher');

test('hash concurrency leaves the event loop a core, and never exceeds the limit', () => {
  assert.is(defaultHashConcurrency(1), 1);
  assert.is(defaultHashConcurrency(2), 1);
  assert.is(defaultHashConcurrency(64), PASSWORD_HASH_CONCURRENCY);
});

test.run();
