// The room as this node's clients have been told it (every flushed presence batch applied): what a
// welcome lists, with its digest per bucket (shared/roomDigest.ts) so that a resuming client that
// names the room it holds is sent only the buckets that differ.

import { coarseOf, entryHash, fineBucketOf, RoomDigest } from '../../shared/roomDigest';
import { ROOM_DIGEST_BUCKETS_MAX } from '../../shared/limits';
import type { PeerId, PeerInfo } from '../../shared/protocol';

export interface AnnouncedEntry {
  info: PeerInfo;
  hash: Uint8Array;
}

export class AnnouncedRoom {
  private readonly entries = new Map<PeerId, AnnouncedEntry>();
  private readonly members = Array.from({ length: ROOM_DIGEST_BUCKETS_MAX }, () => new Set<PeerId>());
  readonly digest = new RoomDigest();
  /** The room as a JSON array, encoded once per change and shared by every welcome until the next, with each entry's byte span. */
  private json: { bytes: Buffer; spans: Map<PeerId, { start: number; end: number }> } | undefined;

  get size(): number {
    return this.entries.size;
  }

  has(peerId: PeerId): boolean {
    return this.entries.has(peerId);
  }

  get(peerId: PeerId): AnnouncedEntry | undefined {
    return this.entries.get(peerId);
  }

  infos(): IterableIterator<PeerInfo> {
    return Array.from(this.entries.values(), (e) => e.info).values();
  }

  set(info: PeerInfo): void {
    this.delete(info.peerId);
    const hash = entryHash(info);
    this.entries.set(info.peerId, { info, hash });
    this.members[fineBucketOf(info.peerId)].add(info.peerId);
    this.digest.toggle(info.peerId, hash);
    this.json = undefined;
  }

  delete(peerId: PeerId): void {
    const entry = this.entries.get(peerId);
    if (!entry) return;
    this.entries.delete(peerId);
    this.members[fineBucketOf(peerId)].delete(peerId);
    this.digest.toggle(peerId, entry.hash);
    this.json = undefined;
  }

  /**
   * The room as one JSON array without `self`'s entry, as fragments of one shared Buffer (no copy):
   * after a restart every member resuming is already in the room it is sent.
   */
  jsonWithout(self: PeerId): Buffer[] {
    const json = (this.json ??= this.encode());
    const span = json.spans.get(self);
    if (!span) return [json.bytes];
    let { start, end } = span;
    // One comma goes with the entry: the one after it, or the one before it when it is the last.
    if (json.bytes[end] === 0x2c) end++;
    else if (json.bytes[start - 1] === 0x2c) start--;
    return [json.bytes.subarray(0, start), json.bytes.subarray(end)];
  }

  private encode(): { bytes: Buffer; spans: Map<PeerId, { start: number; end: number }> } {
    const pieces: string[] = [];
    const spans = new Map<PeerId, { start: number; end: number }>();
    let offset = 1;
    for (const { info } of this.entries.values()) {
      if (pieces.length > 0) offset++;
      const json = JSON.stringify(info);
      const end = offset + Buffer.byteLength(json);
      spans.set(info.peerId, { start: offset, end });
      pieces.push(json);
      offset = end;
    }
    return { bytes: Buffer.from(`[${pieces.join(',')}]`), spans };
  }

  /** The entries (but `self`) of the coarse buckets `changed` of `buckets`. */
  peersIn(buckets: number, changed: readonly number[], self: PeerId): PeerInfo[] {
    const wanted = new Set(changed);
    const peers: PeerInfo[] = [];
    for (let fine = 0; fine < ROOM_DIGEST_BUCKETS_MAX; fine++) {
      if (!wanted.has(coarseOf(fine, buckets))) continue;
      for (const peerId of this.members[fine]) if (peerId !== self) peers.push(this.entries.get(peerId)!.info);
    }
    return peers;
  }
}
