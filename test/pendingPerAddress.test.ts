// PendingPerAddress: slots per address up to a cap; a release counts once; an address with no
// slot left has no entry.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { PendingPerAddress } from '../rendezvous/ws/pendingPerAddress';

test('takes up to the cap per address, then refuses', () => {
  const pending = new PendingPerAddress(2);
  assert.ok(pending.take('10.0.0.1'));
  assert.ok(pending.take('10.0.0.1'));
  assert.is(pending.take('10.0.0.1'), undefined);
  assert.is(pending.held('10.0.0.1'), 2);
  assert.ok(pending.take('10.0.0.2'), 'another address has its own slots');
  assert.is(pending.addresses, 2);
});

test('a release gives one slot back, however often it is called', () => {
  const pending = new PendingPerAddress(2);
  const first = pending.take('10.0.0.1')!;
  pending.take('10.0.0.1');
  first();
  first();
  first();
  assert.is(pending.held('10.0.0.1'), 1, 'no double decrement');
  assert.ok(pending.take('10.0.0.1'));
  assert.is(pending.take('10.0.0.1'), undefined, 'the repeated releases freed no extra slot');
});

test('an address is forgotten when its last slot comes back', () => {
  const pending = new PendingPerAddress(3);
  const releases = [pending.take('10.0.0.1')!, pending.take('10.0.0.1')!, pending.take('10.0.0.2')!];
  releases[0]();
  assert.is(pending.addresses, 2);
  releases[1]();
  assert.is(pending.addresses, 1, 'the entry of 10.0.0.1 is deleted at 0');
  assert.is(pending.held('10.0.0.1'), 0);
  releases[1]();
  assert.is(pending.addresses, 1, 'a late repeated release does not bring it back');
  assert.is(pending.held('10.0.0.1'), 0);
  releases[2]();
  assert.is(pending.addresses, 0);
});

test('a cap of 0 refuses every address', () => {
  const pending = new PendingPerAddress(0);
  assert.is(pending.take('10.0.0.1'), undefined);
  assert.is(pending.addresses, 0);
});

test.run();
