// Account updates serialised per account and per device key (rendezvous/accounts/keyedQueue.ts).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { KeyedQueue } from '../rendezvous/accounts/keyedQueue';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

test('tasks sharing a key run one after the other; others do not wait; keys are forgotten when idle', async () => {
  const queue = new KeyedQueue();
  const order: string[] = [];
  const first = gate();
  const a1 = queue.run(['account:a'], async () => {
    await first.opened;
    order.push('a1');
  });
  const a2 = queue.run(['account:a', 'key:k'], async () => void order.push('a2'));
  const b1 = queue.run(['account:b'], async () => void order.push('b1'));
  await b1;
  assert.equal(order, ['b1'], 'another account is not held up');
  const k2 = queue.run(['account:c', 'key:k'], async () => void order.push('c-k'));
  first.open();
  await Promise.all([a1, a2, k2]);
  assert.equal(order, ['b1', 'a1', 'a2', 'c-k'], 'same account in order, then the same key');
  await new Promise((resolve) => setImmediate(resolve));
  assert.is(queue.size, 0);
});

test('a failed task does not stop the next one of its key', async () => {
  const queue = new KeyedQueue();
  const failed = queue.run(['k'], async () => {
    throw new Error('boom');
  });
  const next = queue.run(['k'], async () => 'ran');
  await failed.then(
    () => assert.unreachable(),
    (e: Error) => assert.is(e.message, 'boom'),
  );
  assert.is(await next, 'ran');
});

test.run();
