// A history source that goes quiet is dropped after the idle time (client/mesh/historySync.ts), and
// every sign of life (a listing, image bytes) pushes that moment back, with one timer per source
// however many chunks arrive.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { HistorySync } from '../client/mesh/historySync';
import type { KeyDirectory } from '../client/mesh/keyDirectory';
import type { MeshError } from '../client/mesh/api';
import type { PeerInfo } from '../shared/protocol';

const IDLE_MS = 150;
const bob: PeerInfo = { peerId: 'b'.repeat(22), username: 'bob', displayName: 'Bob', deviceKey: 'k'.repeat(43) } as PeerInfo;

function syncing() {
  const errors: { error: MeshError; at: number }[] = [];
  let failed: (() => void) | null = null;
  const sync = new HistorySync({
    peers: () => [bob],
    self: () => null,
    request: () => undefined,
    requestImages: () => undefined,
    summary: () => ({ have: [], since: 0 }),
    seen: () => false,
    deliver: () => undefined,
    error: (error) => {
      errors.push({ error, at: Date.now() });
      failed?.();
    },
    keys: {} as KeyDirectory,
    verify: () => false,
    idleMs: IDLE_MS,
  });
  const nextError = (withinMs: number) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no error within ${withinMs} ms`)), withinMs);
      failed = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  return { sync, errors, nextError };
}

test('a source that sends nothing is dropped after the idle time', async () => {
  const { sync, errors, nextError } = syncing();
  const started = Date.now();
  const dropped = nextError(IDLE_MS * 10);
  sync.begin();
  await dropped;
  assert.is(errors.length, 1);
  assert.is(errors[0].error.code, 'TRANSFER_ABORTED');
  assert.match(errors[0].error.message, /history from bob: nothing for/);
  assert.ok(errors[0].at - started >= IDLE_MS - 5, `not before the idle time (${errors[0].at - started} ms)`);
  sync.stop();
});

test('image bytes keep a source alive; it is dropped the idle time after the last of them', async () => {
  const { sync, errors, nextError } = syncing();
  sync.begin();
  // Bytes every IDLE_MS / 3 for 3 idle times: no drop meanwhile.
  let lastBytesAt = Date.now();
  for (let i = 0; i < 9; i++) {
    await new Promise<void>((resolve) => setTimeout(resolve, IDLE_MS / 3));
    sync.progress(bob.peerId);
    lastBytesAt = Date.now();
  }
  assert.equal(errors, [], 'alive while bytes come');
  const dropped = nextError(IDLE_MS * 10);
  await dropped;
  assert.is(errors[0].error.code, 'TRANSFER_ABORTED');
  assert.ok(errors[0].at - lastBytesAt >= IDLE_MS - 5, `dropped ${errors[0].at - lastBytesAt} ms after the last bytes`);
  sync.stop();
});

test.run();
