// Where a peer keeps the bytes of the images it can pass on to newcomers (history from peers,
// HISTORY_SYNC_IMAGE_BYTES_MAX): by reference (the default: the page, whose images live on as Blobs
// anyway), or copied into one ring of memory that is reused lap after lap (Node: the CLI).
//
// Why a ring in Node: kept by reference, every received image's buffer outlives many scavenges, so
// each new image needs memory the process has never touched (a page fault per 4 KiB, and mark-compacts
// to find the evicted ones dead), while an image nobody keeps is freed young and its memory reused.
// In `npm run bench` (5 MiB relayed to 7 peers, 9 processes on 2 cores) keeping by reference cost
// 1.2-1.5x the time of not keeping at all; the ring, once its pages are touched, costs a 5 MiB copy.
// Its pages are all touched when it is made, at the first image (50 MiB: tens of milliseconds, once):
// left to the copies, the first lap paid them during transfers and took 1.28x the time of keeping
// by reference. So a Node peer holds the whole HISTORY_SYNC_IMAGE_BYTES_MAX from its first image on.

import { HISTORY_SYNC_IMAGE_BYTES_MAX, HISTORY_SYNC_MESSAGES_MAX } from '../../shared/limits';
import { uninitializedBytes } from '../../shared/uninitializedBytes';
import type { KeptBytes } from './historyKeeper';

/** How kept images' bytes are held (MeshOptions.keptImages). */
export interface KeptImageStore {
  /**
   * Keeps `bytes` for image `id`; what it returns is what the keeper holds. `lost` is called if the
   * store lets the bytes go before the keeper does (the keeper then no longer offers that image).
   */
  keep(id: string, bytes: Uint8Array, lost: () => void): KeptBytes;
}

/** Bytes of a memory page: touching one byte of each takes the page. */
const PAGE_BYTES = 4096;

interface Slot {
  start: number;
  end: number;
  lost: (() => void) | null;
}

/** Images copied into one ring of `capacity` bytes, made at the first image; the oldest are overwritten. */
export class KeptImageRing implements KeptImageStore {
  private ring: Uint8Array | null = null;
  /** Where the next image goes. */
  private at = 0;
  /** Live slots, oldest first (at most `slotsMax`). */
  private slots: Slot[] = [];

  constructor(
    private readonly capacity = HISTORY_SYNC_IMAGE_BYTES_MAX,
    private readonly slotsMax = HISTORY_SYNC_MESSAGES_MAX,
  ) {}

  keep(_id: string, bytes: Uint8Array, lost: () => void): KeptBytes {
    const size = bytes.byteLength;
    // Nothing to gain from a copy of what cannot fit (a ring smaller than an image: tests only).
    if (size === 0 || size > this.capacity) return bytes;
    const ring = this.ringMade();
    if (this.at + size > this.capacity) this.at = 0;
    const start = this.at;
    const end = start + size;
    this.slots = this.slots.filter((s) => {
      const overlaps = s.start < end && start < s.end;
      if (overlaps) this.lose(s);
      return !overlaps;
    });
    while (this.slots.length >= this.slotsMax) this.lose(this.slots.shift()!);
    ring.set(bytes, start);
    this.at = end;
    const slot: Slot = { start, end, lost };
    this.slots.push(slot);
    // A copy out: a newcomer's transfer may outlast the next lap over these bytes.
    return async () => {
      if (!slot.lost) throw new Error('overwritten in the ring of kept images');
      return ring.slice(slot.start, slot.end);
    };
  }

  private lose(slot: Slot): void {
    const lost = slot.lost;
    slot.lost = null;
    lost?.();
  }

  /** The ring, made and its pages touched at the first image (see the top of this file). */
  private ringMade(): Uint8Array {
    if (this.ring) return this.ring;
    const ring = uninitializedBytes(this.capacity);
    for (let i = 0; i < ring.byteLength; i += PAGE_BYTES) ring[i] = 0;
    return (this.ring = ring);
  }
}
