// Fault: a client's network dies without a close frame. Its traffic goes through a TCP proxy that,
// at the "network death", stops forwarding in both directions and keeps both sockets open: no FIN,
// no RST, the server's pings just vanish (like a pulled cable). The peer must disappear from
// everyone's list within the heartbeat limit, and the server must hold nothing for it afterwards.

import http from 'node:http';
import net from 'node:net';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { PRESENCE_FLUSH_MS } from '../shared/limits';
import type { PresenceMessage } from '../shared/protocol';
import { DEFAULT_PASSWORD, startTestServer, statsWhen, type TestServer } from './helpers/server';
import { connectPeer, type OnlineSocket } from './helpers/ws';

const HEARTBEAT_INTERVAL_MS = 300;
/** The documented limit: a dead peer is cut within two heartbeat intervals... */
const HEARTBEAT_LIMIT_MS = 2 * HEARTBEAT_INTERVAL_MS;
/** ...plus what a loaded 2-core machine may add to timers and the presence flush. */
const SCHEDULING_MARGIN_MS = 1_000;

interface Blackhole {
  port: number;
  /** Stops forwarding both ways; both sockets stay open. */
  cut(): void;
  close(): void;
}

async function blackholeProxy(targetPort: number): Promise<Blackhole> {
  const pairs: Array<[net.Socket, net.Socket]> = [];
  const proxy = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) s.on('error', () => {});
    client.pipe(upstream);
    upstream.pipe(client);
    pairs.push([client, upstream]);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    port: (proxy.address() as net.AddressInfo).port,
    cut() {
      for (const [client, upstream] of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    close() {
      for (const pair of pairs) for (const s of pair) s.destroy();
      proxy.close();
    },
  };
}

/** POST without keep-alive, so no idle HTTP socket muddies the server's socket count. */
function postOnce(server: TestServer, pathname: string, body: object): Promise<{ status: number; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${server.httpUrl}${pathname}`, { method: 'POST', agent: false, headers: { 'Content-Type': 'application/json', Connection: 'close' } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text || '{}') as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

async function tokenFor(server: TestServer, username: string): Promise<string> {
  assert.is((await postOnce(server, '/api/register', { username, password: DEFAULT_PASSWORD, displayName: username })).status, 201);
  const { status, json } = await postOnce(server, '/api/login', { username, password: DEFAULT_PASSWORD });
  assert.is(status, 200);
  return json.token as string;
}

const test = suite('fault: half-open client (network death without a close frame)');

test('a peer whose network dies vanishes from every list within the heartbeat limit; the server releases it', async () => {
  const server = await startTestServer({ heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS });
  const sockets: OnlineSocket[] = [];
  let proxy: Blackhole | undefined;
  try {
    const [ta, tb, tdead] = [await tokenFor(server, 'alice'), await tokenFor(server, 'bob'), await tokenFor(server, 'dead')];
    const a = await connectPeer(server.wsUrl, ta);
    const b = await connectPeer(server.wsUrl, tb);
    proxy = await blackholeProxy(server.port);
    const dead = await connectPeer(`ws://127.0.0.1:${proxy.port}/ws`, tdead);
    sockets.push(a, b, dead);
    const deadId = dead.self.peerId;
    for (const s of [a, b]) await s.next((m) => m.type === 'presence' && m.joined.some((p) => p.peerId === deadId), 5_000);
    // The HTTP sockets close after their response: then only the three WebSockets are left.
    const before = await statsWhen(server, (st) => st.sockets === 3, SCHEDULING_MARGIN_MS);
    assert.equal(before, { sockets: 3, wsConnections: 3, online: 3 }, 'before the cut');

    const cutAt = Date.now();
    proxy.cut();
    const leftAt = await Promise.all(
      [a, b].map(async (s) => {
        await s.next<PresenceMessage>((m) => m.type === 'presence' && m.left.includes(deadId), HEARTBEAT_LIMIT_MS + PRESENCE_FLUSH_MS + SCHEDULING_MARGIN_MS + 2_000);
        return Date.now() - cutAt;
      }),
    );
    const slowest = Math.max(...leftAt);
    assert.ok(slowest <= HEARTBEAT_LIMIT_MS + PRESENCE_FLUSH_MS + SCHEDULING_MARGIN_MS, `left announced ${slowest} ms after the cut`);
    assert.is(dead.ws.readyState, dead.ws.OPEN, 'the dead client itself never heard a close (the network is gone)');
    // Nothing of it is left on the server: not the socket, not the connection, not the presence entry.
    const after = await statsWhen(server, (st) => st.sockets === 2, SCHEDULING_MARGIN_MS);
    assert.equal(after, { sockets: 2, wsConnections: 2, online: 2 }, 'the half-open socket is released');
    assert.is(a.ws.readyState, a.ws.OPEN, 'live peers stay');
    console.log(`    half-open: left announced to both peers ${Math.min(...leftAt)}-${slowest} ms after the network died (heartbeat ${HEARTBEAT_INTERVAL_MS} ms, limit ${HEARTBEAT_LIMIT_MS} ms + flush); server back to ${after.sockets} sockets`);
  } finally {
    await Promise.all(sockets.map((s) => s.close()));
    proxy?.close();
    await server.stop();
  }
});

test.run();
