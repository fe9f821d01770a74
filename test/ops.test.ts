// /healthz, /readyz and /metrics of a single node (cluster mode's engines: test/cluster).

import http from 'node:http';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestServer, type TestServer } from './helpers/server';
import { connectPeer } from './helpers/ws';

/** GET from a chosen loopback source address, as another machine would. */
function getFrom(localAddress: string, url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { localAddress }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

const test = suite<{ server: TestServer }>('operations endpoints');
test.before(async (ctx) => {
  ctx.server = await startTestServer();
});
test.after(async (ctx) => {
  await ctx.server.stop();
});

test('/healthz and /readyz answer, with the store checked', async ({ server }) => {
  assert.is((await getFrom('127.0.0.1', `${server.httpUrl}/healthz`)).status, 200);
  const ready = await getFrom('127.0.0.1', `${server.httpUrl}/readyz`);
  assert.is(ready.status, 200);
  assert.equal(JSON.parse(ready.body), { ready: true, checks: { nedb: 'ok' } });
  const post = await fetch(`${server.httpUrl}/healthz`, { method: 'POST' });
  assert.is(post.status, 405);
});

test('/metrics: Prometheus text to loopback, 403 to any other address', async ({ server }) => {
  const token = await server.registerAndLogin('metered');
  const socket = await connectPeer(server.wsUrl, token);
  try {
    const metrics = await getFrom('127.0.0.1', `${server.httpUrl}/metrics`);
    assert.is(metrics.status, 200);
    assert.match(metrics.body, /^chatroom_ws_connections 1$/m);
    assert.match(metrics.body, /^chatroom_peers_online\{scope="node"\} 1$/m);
    assert.match(metrics.body, /^chatroom_engine_up\{engine="nedb"\} 1$/m);
    assert.match(metrics.body, /^chatroom_password_hash_seconds_count [1-9]/m, 'the registration and login hashed');
    assert.match(metrics.body, /^chatroom_password_queue_wait_seconds_bucket/m);
    assert.is((await getFrom('127.0.0.2', `${server.httpUrl}/metrics`)).status, 403);
  } finally {
    await socket.close();
  }
});

test.run();
