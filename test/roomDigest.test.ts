// Room digests (shared/roomDigest.ts): a client that names the room it holds and applies the
// changed buckets the server sends ends with exactly the server's room, whatever changed meanwhile.

import { randomBytes } from 'node:crypto';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RoomDirectory } from '../client/mesh/roomDirectory';
import { AnnouncedRoom } from '../rendezvous/ws/announcedRoom';
import { PROTOCOL_VERSION } from '../shared/limits';
import type { PeerInfo, WelcomeMessage } from '../shared/protocol';
import { bucketsFor, decodeDigest, isBucketCount } from '../shared/roomDigest';

const settings = { maxImageBytes: 1, relay: 'auto' as const, iceServers: [] };
const peer = (name: string): PeerInfo => ({ peerId: randomBytes(12).toString('base64url').slice(0, 16), username: name, displayName: name, deviceKey: randomBytes(32).toString('base64url') });

/** What the server's welcome would say to `self` holding `client`'s room. */
function welcome(server: AnnouncedRoom, self: PeerInfo, client: RoomDirectory): WelcomeMessage {
  const known = client.known();
  const theirs = known && decodeDigest(known.digest, known.buckets);
  if (!known || !theirs) return { v: PROTOCOL_VERSION, type: 'welcome', self, peers: [...server.infos()].filter((p) => p.peerId !== self.peerId), settings };
  const own = server.get(self.peerId);
  const changed = server.digest.changedBuckets(known.buckets, theirs, own && { peerId: self.peerId, hash: own.hash });
  return { v: PROTOCOL_VERSION, type: 'welcome', self, peers: server.peersIn(known.buckets, changed, self.peerId), settings, partial: { buckets: known.buckets, changed } };
}

/** A server room of `n` members and a client (the first member) welcomed into it. */
function welcomedRoom(n: number) {
  const server = new AnnouncedRoom();
  const members = Array.from({ length: n }, (_, i) => peer(`u${i}`));
  for (const p of members) server.set(p);
  const self = members[0];
  const client = new RoomDirectory();
  client.applyWelcome(welcome(server, self, client));
  return { server, members, self, client };
}

const ids = (peers: Iterable<PeerInfo>) => new Set([...peers].map((p) => p.peerId));

test('bucket counts are powers of two, about 16 peers a bucket, at most 256', () => {
  assert.is(bucketsFor(0), 1);
  assert.is(bucketsFor(16), 1);
  assert.is(bucketsFor(17), 2);
  assert.is(bucketsFor(10_000), 256);
  assert.ok(isBucketCount(64));
  assert.not.ok(isBucketCount(48));
  assert.not.ok(isBucketCount(512));
});

test('a client that missed leaves, joins and a changed entry is sent only the buckets that differ, and ends with the server room', () => {
  const { server, members, self, client } = welcomedRoom(2_000);
  assert.is(client.size, 1_999);
  // Unchanged: nothing is sent.
  const same = welcome(server, self, client);
  assert.equal(same.partial?.changed, []);
  assert.is(same.peers.length, 0);
  // Meanwhile: 3 left, 2 joined, one changed its display name, and self's own entry changed (it does not count).
  for (const p of members.slice(1, 4)) server.delete(p.peerId);
  for (const p of [peer('new1'), peer('new2')]) server.set(p);
  server.set({ ...members[10], displayName: 'renamed' });
  server.set({ ...self, displayName: 'me, renamed' });
  const delta = welcome(server, self, client);
  assert.ok(delta.partial!.changed.length >= 1 && delta.partial!.changed.length <= 6, `changed ${delta.partial!.changed.length} of ${delta.partial!.buckets}`);
  // At most the 6 changed buckets of ~16 peers each, against 1,999 for the whole room.
  assert.ok(delta.peers.length < 200, `sent ${delta.peers.length} peers`);
  const handed = client.applyWelcome(delta);
  const expected = [...server.infos()].filter((p) => p.peerId !== self.peerId);
  assert.equal(ids(handed), ids(expected));
  assert.is(handed.find((p) => p.peerId === members[10].peerId)?.displayName, 'renamed');
  // And now it matches again.
  assert.equal(welcome(server, self, client).partial?.changed, []);
});

test('presence batches keep the client digest equal to the server room', () => {
  const { server, members, self, client } = welcomedRoom(50);
  const joined = [peer('late')];
  server.set(joined[0]);
  server.delete(members[5].peerId);
  client.applyPresence({ v: PROTOCOL_VERSION, type: 'presence', joined, left: [members[5].peerId] }, self.peerId);
  assert.equal(welcome(server, self, client).partial?.changed, []);
});


test('the server welcomes a client naming a room that differs in more than half of its buckets with the whole room, and one naming the same room with no peer', async () => {
  const { Presence } = await import('../rendezvous/ws/presence');
  const presence = new Presence();
  const saved = Array.from({ length: 200 }, (_, i) => ({ info: peer(`s${i}`), userId: `u${i}`, tokenHash: '0'.repeat(64) }));
  presence.restore(saved, 60_000);
  const self = saved[0].info;
  const parse = (fragments: Buffer[]) => JSON.parse(Buffer.concat(fragments).toString('utf8')) as WelcomeMessage;
  try {
    // Holding the same room (but itself): nothing to send.
    const same = new RoomDirectory();
    same.applyWelcome(parse(presence.welcome(self, settings)));
    assert.is(same.size, 199);
    const resumed = parse(presence.welcome(self, settings, [], same.known()));
    assert.equal(resumed.partial?.changed, []);
    assert.equal(resumed.peers, []);
    // Holding another room altogether: the whole room, as a first welcome.
    const other = new RoomDirectory();
    other.applyWelcome({ v: PROTOCOL_VERSION, type: 'welcome', self, peers: Array.from({ length: 199 }, (_, i) => peer(`x${i}`)), settings });
    const whole = parse(presence.welcome(self, settings, [], other.known()));
    assert.is(whole.partial, undefined);
    assert.equal(ids(whole.peers), ids(saved.slice(1).map((s) => s.info)));
    // A member already listed, first, in the middle or last, is cut out of the shared list.
    for (const at of [0, 100, 199]) {
      const me = saved[at].info;
      const listed = parse(presence.welcome(me, settings)).peers;
      assert.is(listed.length, 199);
      assert.equal(ids(listed), ids(saved.filter((_, i) => i !== at).map((s) => s.info)));
    }
    // Presumed members are listed, and away until they are back.
    assert.ok(presence.isAway(saved[1].info.peerId));
  } finally {
    presence.close();
  }
});

test.run();
