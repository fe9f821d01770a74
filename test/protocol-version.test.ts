// Wire versions (PROTOCOL_VERSION for the socket, FRAME_VERSION for peer frames). A room never mixes
// versions: the server closes a client of another version with UNSUPPORTED_VERSION, and a client
// that meets a server of another version says "ChatRoom was updated — reload" (status `outdated`)
// and stops, instead of reconnecting or logging the user out.

import { decodeFrame, encodeFrame, FrameType, newMessageId } from '../shared/frames';
import type { ChatError } from '../shared/errors';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import WebSocket, { WebSocketServer } from 'ws';
import { closeCodeFor } from '../shared/errors';
import { FRAME_VERSION, PROTOCOL_VERSION } from '../shared/limits';
import { createMesh } from '../client/mesh/index';
import { startTestServer } from './helpers/server';
import { newPeerSecret, openSocket } from './helpers/ws';
import { waitFor } from './helpers/mesh';
import { en } from '../client/i18n/en';
import { encodePeerSignal, parsePeerSignal } from '../shared/peerSignal';

test("the current version is 7: a resuming client names its room and gets the changed buckets, PEER_AWAY for a peer presumed back (6: a direct-link slot is asked for before any connection is made; 5: session keys, sealed relay payloads, signed DTLS fingerprints; 4: 'keys' lookups; 3: device keys bound at auth; 2: relay first with declinable direct links)", () => {
  assert.is(PROTOCOL_VERSION, 7);
});

test('version 6 signals: ask and grant round-trip; a peer of version 5 could not have read them (an offer was its only opening)', () => {
  for (const signal of [{ kind: 'ask', attempt: 'a1b2' }, { kind: 'grant', attempt: 'a1b2' }] as const) assert.equal(parsePeerSignal(encodePeerSignal(signal)), signal);
  assert.is(parsePeerSignal({ attempt: 'bad id!', ask: true }), null, 'attempt ids are still checked');
});

test('peer frames are version 2 (signed messages, history from peers); a frame of version 1 is refused as UNSUPPORTED_VERSION', () => {
  assert.is(FRAME_VERSION, 2);
  const old = encodeFrame(FrameType.ACK, newMessageId(), 0);
  old[0] = FRAME_VERSION - 1;
  try {
    decodeFrame(old);
    assert.unreachable('decoded');
  } catch (err) {
    assert.is((err as ChatError).code, 'UNSUPPORTED_VERSION');
  }
});

test('a client of the previous version is closed with UNSUPPORTED_VERSION before it joins the room', async () => {
  const server = await startTestServer();
  try {
    const token = await server.registerAndLogin('oldpage');
    const socket = await openSocket(server.wsUrl);
    socket.ws.send(JSON.stringify({ v: PROTOCOL_VERSION - 1, type: 'auth', token, peerSecret: newPeerSecret() }));
    const closed = await socket.closed;
    assert.is(closed.code, closeCodeFor('UNSUPPORTED_VERSION'));
  } finally {
    await server.stop();
  }
});

test('a mesh that meets a server of another version reports outdated once and does not reconnect', async () => {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  let connections = 0;
  wss.on('connection', (ws) => {
    connections++;
    ws.once('message', () => ws.close(closeCodeFor('UNSUPPORTED_VERSION'), `protocol version must be ${PROTOCOL_VERSION + 1}`));
  });
  const { port } = wss.address() as { port: number };
  const mesh = createMesh({ serverUrl: `ws://127.0.0.1:${port}/ws`, token: 't'.repeat(43), WebSocket, timeouts: { reconnectFirstMs: 10, reconnectMaxMs: 20 } });
  const statuses: string[] = [];
  mesh.on('status', (s) => statuses.push(s));
  try {
    const outdated = waitFor(mesh, 'status', (s) => s === 'outdated', 5_000, 'outdated');
    mesh.start();
    await outdated;
    // A reconnect would come within reconnectMaxMs (20 ms): give it 25 times that, then count.
    const another = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 500);
      wss.once('connection', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    assert.not.ok(await another, 'no reconnect after outdated');
    assert.is(connections, 1);
    assert.not.ok(statuses.includes('unauthorized'), 'the user is not logged out');
    assert.is(mesh.status, 'outdated');
    assert.match(en['status.outdated'], 'reload');
  } finally {
    mesh.stop();
    await new Promise((resolve) => wss.close(resolve));
  }
});

test.run();
