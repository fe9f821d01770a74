// Stopping a SignalingClient whose socket is still connecting (a server that accepted the TCP
// connection but has not answered the upgrade) ends quietly: ws reports that close as an 'error'
// event, which once went unheard and crashed the process (seen in bench:room when peers stopped).

import { createServer, type Socket } from 'node:net';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import WebSocket from 'ws';
import { SignalingClient } from '../client/mesh/signalingClient';
import { generateDeviceKey } from '../shared/deviceKey';
import { generateSessionKey } from '../shared/e2e/index';
import { newPeerSecret, waitFor } from './helpers/ws';

test('stop() while the socket is still connecting: no uncaught error', async () => {
  const held: Socket[] = [];
  const silent = createServer((socket) => held.push(socket)); // accepts, never answers the upgrade
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  const port = (silent.address() as { port: number }).port;
  const uncaught: unknown[] = [];
  const onUncaught = (error: unknown) => uncaught.push(error);
  process.on('uncaughtException', onUncaught);
  const deviceKey = generateDeviceKey();
  const client = new SignalingClient({
    url: `ws://127.0.0.1:${port}/ws`,
    token: 'not-used',
    peerSecret: newPeerSecret(),
    deviceKey,
    sessionKey: generateSessionKey(deviceKey),
    WebSocket,
    handlers: {
      status: () => {},
      welcome: () => {},
      presence: () => {},
      signal: () => {},
      relay: () => {},
      relayFlow: () => {},
      keys: () => {},
      serverError: () => {},
      protocolError: () => {},
    },
  });
  try {
    client.start();
    await waitFor(() => held.length === 1, 5_000, 'the TCP connection');
    client.stop();
    // ws emits its 'error' on the next tick of a close while connecting: give it a few turns.
    for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    assert.equal(uncaught, [], 'nothing thrown');
  } finally {
    process.off('uncaughtException', onUncaught);
    for (const s of held) s.destroy();
    silent.close();
  }
});

test.run();
