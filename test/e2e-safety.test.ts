// Safety numbers and pinned device keys (issue 13): both ends of a pair show the same number; an
// account that shows this device a key it has not seen before raises `deviceChanged` (pinned where
// the device keeps its state, so also across runs); the first key of an account is pinned silently.

import * as assert from 'uvu/assert';
import { generateDeviceKey } from '../shared/deviceKey';
import { KEY_PIN_ACCOUNTS_MAX, KEY_PINS_PER_ACCOUNT_MAX } from '../shared/limits';
import { KeyPins, type PinStorage } from '../client/mesh/keyPins';
import type { PeerView } from '../client/mesh/api';
import { meshSuite, newPeer, startPeers, until, waitFor, type TestPeer } from './helpers/mesh';
import { test as plain } from 'uvu';

const test = meshSuite('e2e safety numbers and device changes');

function memoryStorage(): PinStorage & { text: string | null } {
  const store = { text: null as string | null, load: () => store.text, save: (t: string) => void (store.text = t) };
  return store;
}

test('the safety number of a pair is the same on both ends, 12 digits in groups of 4, and differs per pair', async (ctx) => {
  ctx.peers = await startPeers(ctx.server, ['alice', 'bob', 'carol']);
  const [alice, bob, carol] = ctx.peers;
  await until(ctx.peers, () => ctx.peers.every((p) => p.mesh.peers().length === 2), 15_000, 'everyone listed');
  const number = (from: TestPeer, to: TestPeer) => from.mesh.peers().find((p) => p.peerId === to.mesh.self!.peerId)!.safetyNumber;
  assert.match(number(alice, bob), /^\d{4} \d{4} \d{4}$/);
  assert.is(number(alice, bob), number(bob, alice));
  assert.is(number(alice, carol), number(carol, alice));
  assert.is.not(number(alice, bob), number(alice, carol));
});

test("an account's new device key raises deviceChanged once; a pinned one does not; the pins survive a restart", async (ctx) => {
  const pins = memoryStorage();
  const bobToken = await ctx.server.registerAndLogin('bob');
  const [carol] = await startPeers(ctx.server, ['carol'], { keyPins: pins });
  ctx.peers.push(carol);
  const changes: PeerView[] = [];
  carol.mesh.on('deviceChanged', (p) => changes.push(p));
  const joinAsBob = async (deviceKey = generateDeviceKey()) => {
    const bob = newPeer('bob', { serverUrl: ctx.server.wsUrl, token: bobToken, deviceKey });
    ctx.peers.push(bob);
    const listed = waitFor(carol.mesh, 'peers', (list) => list.some((p) => p.username === 'bob' && p.deviceKey === deviceKey.publicKey), 15_000, 'bob listed at carol');
    bob.mesh.start();
    await listed;
    return bob;
  };
  const leave = async (bob: TestPeer) => {
    const gone = waitFor(carol.mesh, 'peers', (list) => !list.some((p) => p.username === 'bob'), 15_000, 'bob gone');
    bob.mesh.stop();
    await gone;
  };

  const laptop = generateDeviceKey();
  await leave(await joinAsBob(laptop));
  assert.is(changes.length, 0, 'the first key of an account is pinned silently');

  const phone = generateDeviceKey();
  const onPhone = await joinAsBob(phone);
  await until([carol], () => changes.length === 1, 5_000, 'deviceChanged');
  assert.is(changes[0].username, 'bob');
  assert.is(changes[0].deviceKey, phone.publicKey);
  assert.is(changes[0].safetyNumber, onPhone.mesh.peers().find((p) => p.username === 'carol')!.safetyNumber, 'the number to compare');
  await leave(onPhone);

  await leave(await joinAsBob(laptop));
  assert.is(changes.length, 1, 'a key seen before is no change');

  // Carol runs again with the same storage: both of bob's keys are still pinned, a third is not.
  carol.mesh.stop();
  const [carolAgain] = await startPeers({ wsUrl: ctx.server.wsUrl, registerAndLogin: () => ctx.server.login('carol') }, ['carol'], { keyPins: pins });
  ctx.peers.push(carolAgain);
  const later: PeerView[] = [];
  carolAgain.mesh.on('deviceChanged', (p) => later.push(p));
  const phoneAgain = newPeer('bob', { serverUrl: ctx.server.wsUrl, token: bobToken, deviceKey: phone });
  ctx.peers.push(phoneAgain);
  phoneAgain.mesh.start();
  await waitFor(carolAgain.mesh, 'peers', (list) => list.some((p) => p.username === 'bob'), 15_000, 'bob at carol again');
  assert.is(later.length, 0, 'pinned across runs');
});

plain('pins are bounded per account and in accounts, newest first; unreadable storage starts afresh', () => {
  const storage = memoryStorage();
  const pins = new KeyPins(storage);
  for (let i = 0; i < KEY_PINS_PER_ACCOUNT_MAX + 5; i++) pins.see('bob', `key${i}`);
  const again = new KeyPins(storage);
  assert.is(again.see('bob', `key${KEY_PINS_PER_ACCOUNT_MAX + 4}`), 'known');
  assert.is(again.see('bob', 'key0'), 'changed', 'the oldest key was forgotten');
  for (let i = 0; i < KEY_PIN_ACCOUNTS_MAX + 1; i++) again.see(`user${i}`, 'k');
  assert.is(new KeyPins(storage).see('bob', 'key0'), 'first', 'the account seen least recently was forgotten');
  assert.is(new KeyPins({ load: () => '{not json', save: () => {} }).see('bob', 'k'), 'first');
});

test.run();
plain.run();
