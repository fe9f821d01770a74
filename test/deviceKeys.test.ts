// Device keys bound to accounts (issue 11): a socket proves it holds its key by signing its session
// token; the server refuses a key that does not parse or a proof that does not match, keeps each
// account's keys (across restarts and kill -9), gives a key to one account only, and shows each
// online device's key to the peers in the room.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { encodeBase64url } from '../shared/base64url';
import { deviceAuth, generateDeviceKey } from '../shared/deviceKey';
import { closeCodeFor } from '../shared/errors';
import { encodeMessage, type ErrorMessage, type KeysMessage, type PresenceMessage } from '../shared/protocol';
import { DEVICE_KEYS_LOOKUP_MAX } from '../shared/limits';
import { startTestServer, spawnServerProcess, DEFAULT_PASSWORD, postJson } from './helpers/server';
import { connectPeer, newPeerSecret, openSocket } from './helpers/ws';
import type { LoginResponse } from '../shared/api';

/** Sends an auth with these device fields and resolves with how the socket ended up. */
async function authWith(wsUrl: string, token: string, fields: { deviceKey: string; proof: string }) {
  const socket = await openSocket(wsUrl);
  socket.ws.send(encodeMessage({ type: 'auth', token, peerSecret: newPeerSecret(), ...fields }));
  const first = await Promise.race([socket.next((m) => m.type === 'welcome', 10_000).then(() => 'welcome' as const), socket.closed]);
  await socket.close();
  return first;
}

test('a key that is no curve point, a proof by another key and a proof of another token are refused with BAD_KEY', async () => {
  const server = await startTestServer();
  try {
    const token = await server.registerAndLogin('kim');
    const other = await server.login('kim');
    const key = generateDeviceKey();
    const notOnCurve = new Uint8Array(32);
    notOnCurve[0] = 2;
    const cases = {
      'not a point': { deviceKey: encodeBase64url(notOnCurve), proof: deviceAuth(key, token).proof },
      'signed by another key': { deviceKey: key.publicKey, proof: deviceAuth(generateDeviceKey(), token).proof },
      'signed for another session': { deviceKey: key.publicKey, proof: deviceAuth(key, other).proof },
    };
    for (const [what, fields] of Object.entries(cases)) {
      const result = await authWith(server.wsUrl, token, fields);
      assert.equal(result, { code: closeCodeFor('BAD_KEY'), reason: (result as { reason: string }).reason }, what);
    }
    assert.is(await authWith(server.wsUrl, token, deviceAuth(key, token)), 'welcome', 'the right proof');
  } finally {
    await server.stop();
  }
});

test('peers in the room see each online device with its key; a key belongs to one account only', async () => {
  const server = await startTestServer();
  try {
    const [tl, tm] = await Promise.all(['lou', 'mo'].map((n) => server.registerAndLogin(n)));
    const louKey = generateDeviceKey();
    const lou = await openSocket(server.wsUrl);
    lou.ws.send(encodeMessage({ type: 'auth', token: tl, peerSecret: newPeerSecret(), ...deviceAuth(louKey, tl) }));
    await lou.next((m) => m.type === 'welcome');
    const mo = await connectPeer(server.wsUrl, tm);
    // Presence is announced in batches: lou is in mo's welcome, or in the batch right after it.
    const louSeen =
      mo.welcome.peers.find((p) => p.username === 'lou') ??
      (await mo.next<PresenceMessage>((m) => m.type === 'presence' && m.joined.some((p) => p.username === 'lou'))).joined.find((p) => p.username === 'lou');
    assert.is(louSeen?.deviceKey, louKey.publicKey, 'lou with its key');
    const joined = await lou.next<PresenceMessage>((m) => m.type === 'presence' && m.joined.length > 0);
    assert.is(joined.joined[0].deviceKey, mo.self.deviceKey, 'in presence');
    // mo cannot bind lou's key, even with a valid proof of possession (say mo stole the seed).
    assert.equal(await authWith(server.wsUrl, tm, deviceAuth(louKey, tm)), { code: closeCodeFor('BAD_KEY'), reason: 'BAD_KEY' });
    await Promise.all([lou.close(), mo.close()]);
  } finally {
    await server.stop();
  }
});

test('keys are served to sockets in the room only, at most DEVICE_KEYS_LOOKUP_MAX per request', async () => {
  const server = await startTestServer();
  try {
    const token = await server.registerAndLogin('pia');
    const outsider = await openSocket(server.wsUrl);
    outsider.ws.send(encodeMessage({ type: 'keys', keys: [generateDeviceKey().publicKey] }));
    const refused = await outsider.next<ErrorMessage>((m) => m.type === 'error');
    assert.is(refused.code, 'NOT_AUTHENTICATED', 'not before authentication');
    await outsider.close();
    const pia = await connectPeer(server.wsUrl, token);
    pia.ws.send(encodeMessage({ type: 'keys', keys: Array.from({ length: DEVICE_KEYS_LOOKUP_MAX + 1 }, () => generateDeviceKey().publicKey) }));
    assert.is((await pia.next<ErrorMessage>((m) => m.type === 'error')).code, 'BAD_MESSAGE', 'too many keys at once');
    pia.ws.send(encodeMessage({ type: 'keys', keys: [pia.deviceKey.publicKey] }));
    const own = await pia.next<KeysMessage>((m) => m.type === 'keys');
    assert.equal(own.owners.map((o) => o.username), ['pia']);
    await pia.close();
  } finally {
    await server.stop();
  }
});

test('bound keys survive a restart and kill -9: the key still belongs to its account afterwards', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'chatroom-keys-'));
  const config = path.join(dir, 'config.ini');
  await writeFile(config, '');
  const args = ['--config', config, '--host', '127.0.0.1', '--port', '0', '--db', path.join(dir, 'users.db')];
  const login = async (httpUrl: string, username: string) => {
    const res = await postJson(`${httpUrl}/api/login`, { username, password: DEFAULT_PASSWORD });
    return ((await res.json()) as LoginResponse).token;
  };
  let server = await spawnServerProcess(args);
  try {
    for (const username of ['nia', 'oz']) await postJson(`${server.httpUrl}/api/register`, { username, password: DEFAULT_PASSWORD, displayName: username });
    const key = generateDeviceKey();
    const nia = await login(server.httpUrl, 'nia');
    const wsUrl = (s: typeof server) => `ws://127.0.0.1:${s.port}/ws`;
    assert.is(await authWith(wsUrl(server), nia, deviceAuth(key, nia)), 'welcome');
    await server.kill9();
    server = await spawnServerProcess(args);
    const oz = await login(server.httpUrl, 'oz');
    const refused = await authWith(wsUrl(server), oz, deviceAuth(key, oz));
    assert.is((refused as { code: number }).code, closeCodeFor('BAD_KEY'), 'still nia\'s after kill -9');
    // Offline now, nia's key is still served on demand to someone in the room (to verify her history).
    const ozSocket = await connectPeer(wsUrl(server), oz);
    const stranger = generateDeviceKey().publicKey;
    ozSocket.ws.send(encodeMessage({ type: 'keys', keys: [key.publicKey, stranger] }));
    const answer = await ozSocket.next<KeysMessage>((m) => m.type === 'keys');
    assert.equal(answer.owners, [{ deviceKey: key.publicKey, username: 'nia', displayName: 'nia' }], "nia's key after kill -9; an unbound key is not listed");
    await ozSocket.close();
    const niaAgain = await login(server.httpUrl, 'nia');
    assert.is(await authWith(wsUrl(server), niaAgain, deviceAuth(key, niaAgain)), 'welcome', 'and nia still uses it');
  } finally {
    await server.kill9().catch(() => {});
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
