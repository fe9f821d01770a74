// The room as the clients of one bench process hold it, for the restart storm's digests: one socket
// (the observer) parses its welcome and every presence batch, as the signaling client does; every
// other socket of the process received the same batches, so it holds the same room but itself.
// At the storm each socket names that room minus its own entry (auth.known), as a resuming client does.
//
// An observer cut before the storm (a slow reader on a saturated machine) hands over to a socket
// still open, which parses from its next message on: a batch missed in the handover only makes the
// digests differ in a bucket or two, which the server then sends (as it would to a real client).

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
  /** The socket whose messages are parsed, and its own entry. */
  private observer = -1;
  private self: PeerInfo | undefined;

  /** A socket's welcome: the first one welcomed (or the first after its observer was lost) becomes the observer. */
  welcomed(index: number, self: PeerInfo, welcome?: Buffer): void {
    if (this.observer >= 0) return;
    this.observer = index;
    this.self = self;
    if (welcome && this.directory.size === 0) this.observe(index, welcome);
  }

  /** A text message of a socket: parsed if it is the observer's. */
  observe(index: number, data: Buffer): void {
    if (index !== this.observer) return;
    const message = parseServerMessage(data.toString('utf8'));
    if (message.type === 'welcome') this.directory.applyWelcome(message);
    else if (message.type === 'presence') this.directory.applyPresence(message, this.self?.peerId);
  }

  /** A socket closed before the storm: if it was the observer, `next` (a socket still open, with its welcome) takes over. */
  lost(index: number, next: { index: number; self: PeerInfo } | undefined): void {
    if (index !== this.observer) return;
    this.observer = -1;
    if (next) this.welcomed(next.index, next.self);
  }

  /** Sets each identity's `room`: the observed room without that socket's own entry. */
  arm(identities: Identity[], selves: readonly PeerId[]): void {
    // The observer's own entry (a later observer was in the room its predecessor parsed).
    const all = [...new Map([...this.directory.list(), ...(this.self ? [this.self] : [])].map((info) => [info.peerId, info])).values()];
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
