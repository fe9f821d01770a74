// Room digests: what a resuming client holds, summed up small enough to send in its `auth`, so the
// server sends back only what changed instead of the whole room (protocol 7).
//
// The room is split into buckets by peer id (the top bits of the id's first characters; peer ids are
// base64url of SHA-256, so evenly spread). A bucket's digest is the XOR of its members' entry
// hashes (SHA-256 of the entry's fields, cut to ROOM_DIGEST_HASH_BYTES): order-free, and kept up to
// date by toggling one entry in or out. The server keeps ROOM_DIGEST_BUCKETS_MAX fine buckets; a
// client may ask with fewer (a power of two), each coarse bucket being the XOR of a run of fine ones.
//
// A digest is compared against content, not a version number: a server restarted from a saved room
// (which may be older than what its clients heard before a kill -9) still sends each client exactly
// the buckets where the two differ. Self is in neither side's digest.

import { decodeBase64url, encodeBase64url } from './base64url';
import { ROOM_DIGEST_BUCKETS_MAX, ROOM_DIGEST_HASH_BYTES, ROOM_DIGEST_PEERS_PER_BUCKET } from './limits';
import type { PeerId, PeerInfo } from './protocol';
import { sha256 } from './sha256';

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const CHAR_VALUE = new Map([...BASE64URL].map((c, i) => [c, i]));
const encoder = new TextEncoder();

/** The hash of one entry: every field a client keeps of a peer, in a fixed order. */
export function entryHash(info: PeerInfo): Uint8Array {
  const fields = [info.peerId, info.username, info.displayName, info.deviceKey, info.sessionKey ?? null, info.sessionProof ?? null];
  return sha256(encoder.encode(JSON.stringify(fields))).subarray(0, ROOM_DIGEST_HASH_BYTES);
}

/** The fine bucket of a peer id (0..ROOM_DIGEST_BUCKETS_MAX-1): its first 8 bits. */
export function fineBucketOf(peerId: PeerId): number {
  return (((CHAR_VALUE.get(peerId[0]) ?? 0) << 2) | ((CHAR_VALUE.get(peerId[1]) ?? 0) >> 4)) & (ROOM_DIGEST_BUCKETS_MAX - 1);
}

/** True for a bucket count a digest may use: a power of two from 1 to ROOM_DIGEST_BUCKETS_MAX. */
export function isBucketCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= ROOM_DIGEST_BUCKETS_MAX && (value & (value - 1)) === 0;
}

/** The bucket count a client holding `peers` asks with: about ROOM_DIGEST_PEERS_PER_BUCKET peers a bucket. */
export function bucketsFor(peers: number): number {
  let buckets = 1;
  while (buckets < ROOM_DIGEST_BUCKETS_MAX && buckets * ROOM_DIGEST_PEERS_PER_BUCKET < peers) buckets *= 2;
  return buckets;
}

/** The coarse bucket (of `buckets`) a fine bucket belongs to. */
export function coarseOf(fine: number, buckets: number): number {
  return Math.floor(fine / (ROOM_DIGEST_BUCKETS_MAX / buckets));
}

/** base64url characters of a digest of `buckets` buckets. */
export function digestChars(buckets: number): number {
  return Math.ceil((buckets * ROOM_DIGEST_HASH_BYTES * 4) / 3);
}

/** The XOR of entry hashes per fine bucket, updated one entry at a time. */
export class RoomDigest {
  private readonly fine = new Uint8Array(ROOM_DIGEST_BUCKETS_MAX * ROOM_DIGEST_HASH_BYTES);
  /** Folded digests by bucket count, until the next change (every resuming welcome of a storm asks the same). */
  private readonly foldedCache = new Map<number, Uint8Array>();

  /** Adds an entry, or removes it if it was added (XOR). */
  toggle(peerId: PeerId, hash: Uint8Array): void {
    const at = fineBucketOf(peerId) * ROOM_DIGEST_HASH_BYTES;
    for (let i = 0; i < ROOM_DIGEST_HASH_BYTES; i++) this.fine[at + i] ^= hash[i];
    this.foldedCache.clear();
  }

  clear(): void {
    this.fine.fill(0);
    this.foldedCache.clear();
  }

  /** The digest at `buckets` buckets (a power of two), as bytes (the caller may not change them). */
  folded(buckets: number): Uint8Array {
    const cached = this.foldedCache.get(buckets);
    if (cached) return cached;
    const out = new Uint8Array(buckets * ROOM_DIGEST_HASH_BYTES);
    for (let fine = 0; fine < ROOM_DIGEST_BUCKETS_MAX; fine++) {
      const to = coarseOf(fine, buckets) * ROOM_DIGEST_HASH_BYTES;
      const from = fine * ROOM_DIGEST_HASH_BYTES;
      for (let i = 0; i < ROOM_DIGEST_HASH_BYTES; i++) out[to + i] ^= this.fine[from + i];
    }
    this.foldedCache.set(buckets, out);
    return out;
  }

  /** The digest at `buckets` buckets, as it travels in `auth.known`. */
  encode(buckets: number): string {
    return encodeBase64url(this.folded(buckets));
  }

  /**
   * The buckets (of `buckets`) where `theirs` (bytes of a folded digest) differs from this one,
   * this one taken without the entry `without` (the asker's own, which it does not count).
   */
  changedBuckets(buckets: number, theirs: Uint8Array, without?: { peerId: PeerId; hash: Uint8Array }): number[] {
    const ours = this.folded(buckets).slice();
    if (without) {
      const at = coarseOf(fineBucketOf(without.peerId), buckets) * ROOM_DIGEST_HASH_BYTES;
      for (let i = 0; i < ROOM_DIGEST_HASH_BYTES; i++) ours[at + i] ^= without.hash[i];
    }
    const changed: number[] = [];
    for (let b = 0; b < buckets; b++) {
      const at = b * ROOM_DIGEST_HASH_BYTES;
      for (let i = 0; i < ROOM_DIGEST_HASH_BYTES; i++) {
        if (ours[at + i] !== theirs[at + i]) {
          changed.push(b);
          break;
        }
      }
    }
    return changed;
  }
}

/** The bytes of a digest as sent, or null when it is not `buckets` buckets of base64url. */
export function decodeDigest(text: string, buckets: number): Uint8Array | null {
  const bytes = decodeBase64url(text);
  return bytes && bytes.length === buckets * ROOM_DIGEST_HASH_BYTES ? bytes : null;
}
