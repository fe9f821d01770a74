// The room as the clients of one bench process hold it, for the restart storm's digests: one socket
// (the observer) parses its welcome and every presence batch, as the signaling client does; every
// other socket of the process received the same batches, so it holds the same room but itself.
// At the storm each socket names that room minus its own entry (auth.known), as a resuming client does.

import { RoomDirectory } from '../../client/mesh/roomDirectory';
import { parseServerMessage, type PeerId, type PeerInfo } from '../../shared/protocol';
import { bucketsFor, coarseOf, entryHash, fineBucketOf, RoomDigest } from '../../shared/roomDigest';
import { ROOM_DIGEST_HASH_BYTES } from '../../shared/limits';
import { encodeBase64url } from '../../shared/base64url';
import type { Identity } from './storm-client';

const SELF_FIELD = Buffer.from('"self":');

/** The peer id in a welcome's `self` (a flat object: it ends at the first closing brace). */
export function selfOf(welcome: Buffer): PeerInfo {
  const at = welcome.indexOf(SELF_FIELD) + SELF_FIELD.length;
  return JSON.parse(welcome.subarray(at, welcome.indexOf('}', at) + 1).toString('utf8')) as PeerInfo;
}

export class RoomView {
  private readonly directory = new RoomDirectory();
  private self: PeerInfo | undefined;

  /** A text message of the observer socket. */
  observe(data: Buffer): void {
    const message = parseServerMessage(data.toString('utf8'));
    if (message.type === 'welcome') {
      this.self = message.self;
      this.directory.applyWelcome(message);
    } else if (message.type === 'presence') this.directory.applyPresence(message, this.self?.peerId);
  }

  /** Sets each identity's `room`: the observed room without that socket's own entry. */
  arm(identities: Identity[], selves: readonly PeerId[]): void {
    const all = [...this.directory.list(), ...(this.self ? [this.self] : [])];
    const hashes = new Map(all.map((info) => [info.peerId, entryHash(info)]));
    const digest = new RoomDigest();
    for (const [peerId, hash] of hashes) digest.toggle(peerId, hash);
    const buckets = bucketsFor(all.length - 1);
    const folded = digest.folded(buckets);
    const perBucket = new Int32Array(buckets);
    for (const info of all) perBucket[coarseOf(fineBucketOf(info.peerId), buckets)]++;
    identities.forEach((id, i) => {
      const self = selves[i];
      const hash = hashes.get(self);
      const mine = folded.slice();
      const counts = perBucket.slice();
      if (hash) {
        const b = coarseOf(fineBucketOf(self), buckets);
        for (let k = 0; k < ROOM_DIGEST_HASH_BYTES; k++) mine[b * ROOM_DIGEST_HASH_BYTES + k] ^= hash[k];
        counts[b]--;
      }
      id.room = { known: { buckets, digest: encodeBase64url(mine) }, perBucket: counts };
    });
  }
}
