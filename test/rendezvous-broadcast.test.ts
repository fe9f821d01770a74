// Unit tests of the server's fan-out to many sockets: the presence broadcast is encoded once (one
// Buffer object handed to every socket), and the heartbeat pings every connection even when they
// are spread over several event-loop turns.

import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { WebSocket } from 'ws';
import { encodeMessage, parseServerMessage, type PeerInfo, type PresenceMessage, type RoomSettings } from '../shared/protocol';
import { Connection } from '../rendezvous/ws/connection';
import { Heartbeat } from '../rendezvous/ws/heartbeat';
import { Presence } from '../rendezvous/ws/presence';
import { PresenceBatch } from '../rendezvous/ws/presenceBatch';
import { waitFor } from './helpers/ws';

interface Sent {
  data: unknown;
  binary: boolean | undefined;
}

/** A Connection over a fake open socket that records what is sent and how often it is pinged. */
function fakeConnection(index: number) {
  const sent: Sent[] = [];
  let pings = 0;
  const ws = {
    OPEN: 1,
    readyState: 1,
    bufferedAmount: 0,
    send: (data: unknown, options?: { binary?: boolean }) => sent.push({ data, binary: options?.binary }),
    ping: () => pings++,
    on: () => ws,
    terminate: () => {},
  };
  const conn = new Connection(ws as unknown as WebSocket, '127.0.0.1');
  const info: PeerInfo = { peerId: `peer${String(index).padStart(18, '0')}`, username: `user${index}`, displayName: `User ${index}`, deviceKey: 'K'.repeat(43) };
  conn.online = { info, userId: `u${index}`, tokenHash: 'hash', expiresAt: Infinity, gen: index + 1 };
  conn.state = 'online';
  return { conn, sent, pings: () => pings };
}

/** The message a socket received as fragments, whole. */
const joinFragments = (sent: Sent[]) => Buffer.concat(sent.map((s) => s.data as Buffer)).toString('utf8');

const test = suite('server fan-out');

test('a presence broadcast hands the same Buffer, as a text frame, to every receiver', () => {
  const presence = new Presence();
  const everyone = Array.from({ length: 50 }, (_, i) => fakeConnection(i));
  for (const { conn } of everyone.slice(0, 48)) presence.add(conn);
  presence.flush();
  for (const { sent } of everyone) sent.length = 0;
  // Two join; the 48 already announced hear one shared message.
  for (const { conn } of everyone.slice(48)) presence.add(conn);
  presence.flush();
  presence.close();
  const shared = everyone[0].sent[0].data;
  assert.ok(Buffer.isBuffer(shared));
  for (const { sent } of everyone.slice(0, 48)) {
    assert.is(sent.length, 1);
    assert.is(sent[0].data, shared, 'the very same Buffer object');
    assert.is(sent[0].binary, false);
  }
  const message = parseServerMessage((shared as Buffer).toString('utf8')) as PresenceMessage;
  assert.equal(message.joined.map((p) => p.username), ['user48', 'user49']);
  // Each newcomer hears only about the other one: the shared bytes without its own entry, as fragments of one message.
  for (const [i, other] of [[48, 'user49'], [49, 'user48']] as const) {
    const { sent } = everyone[i];
    assert.ok(sent.every((s) => (s.data as Buffer).buffer === (shared as Buffer).buffer), 'slices of the shared Buffer');
    assert.equal((parseServerMessage(joinFragments(sent)) as PresenceMessage).joined.map((p) => p.username), [other]);
  }
});

test('a joiner hears its batch without itself, first, middle, last or alone, with and without leaves', () => {
  const infos = Array.from({ length: 3 }, (_, i) => fakeConnection(i).conn.online!.info);
  for (const count of [1, 2, 3]) {
    for (const left of [[], [infos[0].peerId.replace('peer', 'gone')]]) {
      const joined = infos.slice(0, count);
      const batch = new PresenceBatch(joined, left);
      for (const self of joined) {
        const fragments = batch.for(self.peerId);
        const others = joined.filter((p) => p !== self);
        if (others.length === 0 && left.length === 0) {
          assert.equal(fragments, [], 'nothing to say');
          continue;
        }
        const message = parseServerMessage(Buffer.concat(fragments).toString('utf8')) as PresenceMessage;
        assert.equal(message.joined, others);
        assert.equal(message.left, left);
      }
    }
  }
});

const SETTINGS: RoomSettings = { maxImageBytes: 1024, relay: 'auto', iceServers: [] };

test('a welcome lists every announced peer but the newcomer, as if encoded on its own', () => {
  const presence = new Presence();
  const everyone = Array.from({ length: 5 }, (_, i) => fakeConnection(i));
  for (const { conn } of everyone.slice(0, 3)) presence.add(conn);
  presence.flush();
  const infoOf = (i: number) => everyone[i].conn.online!.info;
  const welcomeOf = (info: PeerInfo) => Buffer.concat(presence.welcome(info, SETTINGS)).toString('utf8');
  const expected = (i: number, peers: PeerInfo[]) => encodeMessage({ type: 'welcome', self: infoOf(i), peers, settings: SETTINGS });
  assert.is(welcomeOf(infoOf(3)), expected(3, [0, 1, 2].map(infoOf)));
  // An announced peer on a new socket is not told about itself.
  assert.is(welcomeOf(infoOf(1)), expected(1, [0, 2].map(infoOf)));
  // The next flush changes the list.
  presence.add(everyone[3].conn);
  presence.remove(everyone[0].conn);
  presence.flush();
  presence.close();
  assert.is(welcomeOf(infoOf(4)), expected(4, [1, 2, 3].map(infoOf)));
});

test('a welcome is well-formed whatever the name of the newcomer holds', () => {
  const presence = new Presence();
  const tricky = fakeConnection(0);
  tricky.conn.online!.info.displayName = '"peers":[] \\ "';
  const welcome = Buffer.concat(presence.welcome(tricky.conn.online!.info, SETTINGS)).toString('utf8');
  const parsed = parseServerMessage(welcome);
  assert.equal(parsed.type === 'welcome' && parsed.self.displayName, '"peers":[] \\ "');
  assert.equal(parsed.type === 'welcome' && parsed.peers, []);
});

test('the heartbeat pings every connection, also beyond one event-loop turn of pings', async () => {
  const heartbeat = new Heartbeat(20);
  const everyone = Array.from({ length: 1_234 }, (_, i) => fakeConnection(i));
  for (const { conn } of everyone) heartbeat.watch(conn);
  try {
    await waitFor(() => everyone.every((c) => c.pings() >= 1), 3_000, 'every connection pinged');
  } finally {
    heartbeat.close();
  }
});

test('the heartbeat spares a backed-up socket that reads behind its ping, and cuts one that has stopped reading', async () => {
  const heartbeat = new Heartbeat(20);
  // Neither ever answers a ping; both have megabytes queued. One keeps reading, the other does not.
  const reading = fakeConnection(0);
  const stalled = fakeConnection(1);
  const socket = { bytesWritten: 0, writableLength: 1 << 20 };
  const terminated = new Set<Connection>();
  for (const c of [reading, stalled]) {
    const ws = c.conn.ws as unknown as { bufferedAmount: number; terminate: () => void; _socket: typeof socket };
    ws.bufferedAmount = 1 << 20;
    ws._socket = c === reading ? socket : { bytesWritten: 0, writableLength: 1 << 20 };
    ws.terminate = () => terminated.add(c.conn);
    heartbeat.watch(c.conn);
  }
  const progress = setInterval(() => (socket.bytesWritten += 64 * 1024), 5);
  try {
    await waitFor(() => terminated.has(stalled.conn), 3_000, 'the stalled socket cut');
    await waitFor(() => reading.pings() >= 5, 3_000, 'the reading socket pinged on');
    assert.not.ok(terminated.has(reading.conn), 'the reading socket kept');
    clearInterval(progress);
    await waitFor(() => terminated.has(reading.conn), 3_000, 'cut once it stops reading');
  } finally {
    clearInterval(progress);
    heartbeat.close();
  }
});

test.run();
