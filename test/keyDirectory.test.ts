// KeyDirectory: one 'keys' request in flight, answers cached, and an answer that comes after its
// request was given up on is never taken for the next request's (the server answers in order).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KeyDirectory } from '../client/mesh/keyDirectory';
import type { KeyOwner } from '../shared/protocol';

const owner = (deviceKey: string, username: string): KeyOwner => ({ deviceKey, username, displayName: username });

function directory(timeoutMs: number) {
  const asked: string[][] = [];
  let wake = () => {};
  const dir = new KeyDirectory({
    ask: (keys) => {
      asked.push(keys);
      wake();
      return true;
    },
    online: () => [],
    timeoutMs,
  });
  const nextAsk = (n: number) => new Promise<void>((resolve) => (wake = () => asked.length >= n && resolve()));
  return { dir, asked, nextAsk };
}

test('answers resolve the request in flight and are cached; a key nobody owns is remembered as such', async () => {
  const { dir, asked } = directory(5_000);
  const owners = dir.owners(['kA', 'kB']);
  assert.equal(asked, [['kA', 'kB']]);
  dir.answered([owner('kA', 'alice')]);
  const got = await owners;
  assert.equal(got.get('kA')?.username, 'alice');
  assert.is(got.get('kB'), null);
  assert.is(dir.cached('kB'), null, 'bound to nobody, remembered');
  assert.is((await dir.owners(['kA'])).get('kA')?.username, 'alice', 'from the cache');
  assert.is(asked.length, 1, 'without asking again');
});

test("a late answer to a request that timed out is not taken for the next request's", async () => {
  const { dir, asked, nextAsk } = directory(30);
  const first = dir.owners(['kA']);
  const secondAsked = nextAsk(2);
  assert.is((await first).get('kA'), undefined, 'timed out: unknown for now, not bound to nobody');
  assert.is(dir.cached('kA'), undefined, 'a failed lookup is not remembered');
  const second = dir.owners(['kB']);
  await secondAsked;
  assert.equal(asked[1], ['kB']);
  dir.answered([owner('kA', 'alice')]); // the first request's answer, late
  dir.answered([owner('kB', 'bob')]); // the second's
  assert.is((await second).get('kB')?.username, 'bob', 'the second request gets its own answer');
  assert.is(dir.cached('kB')?.username, 'bob');
});

test.run();
