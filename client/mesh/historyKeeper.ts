// The room's recent messages this peer can pass on to newcomers (history from peers): the newest
// HISTORY_SYNC_MESSAGES_MAX by room order (sentAt, id), images within HISTORY_SYNC_IMAGE_BYTES_MAX
// (past it the oldest images are no longer offered). Only signed messages are served; unsigned
// ones from before signing still count as "had" so a newcomer is not sent them again.

import { HISTORY_SYNC_IMAGE_BYTES_MAX, HISTORY_SYNC_MESSAGES_MAX } from '../../shared/limits';
import type { HistoryRecord } from '../../shared/historyRecord';

/** An image's bytes now, or a loader (a page reads its stored Blob only when a newcomer asks). */
export type KeptBytes = Uint8Array | (() => Promise<Uint8Array>);

export interface KeptEntry {
  id: string;
  sentAt: number;
  /** The signed record; null for a message stored before signing (never served). */
  record: HistoryRecord | null;
  bytes?: KeptBytes;
}

const byRoomOrder = (a: KeptEntry, b: KeptEntry) => a.sentAt - b.sentAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

export class HistoryKeeper {
  private readonly entries = new Map<string, KeptEntry>();
  /** Entries in room order, rebuilt lazily after an add. */
  private ordered: KeptEntry[] | null = [];

  constructor(
    private readonly maxMessages = HISTORY_SYNC_MESSAGES_MAX,
    private readonly maxImageBytes = HISTORY_SYNC_IMAGE_BYTES_MAX,
  ) {}

  has(id: string): boolean {
    return this.entries.has(id);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Keeps `entry` (a known id is left as it is), then drops the oldest beyond the bounds. */
  add(entry: KeptEntry): void {
    if (this.entries.has(entry.id)) return;
    this.entries.set(entry.id, entry);
    this.ordered = null;
    const all = this.inOrder();
    while (all.length > this.maxMessages) this.entries.delete(all.shift()!.id);
    let imageBytes = 0;
    for (let i = all.length - 1; i >= 0; i--) {
      const e = all[i];
      if (!e.bytes || e.record?.kind !== 'image') continue;
      imageBytes += e.record.size;
      if (imageBytes > this.maxImageBytes) e.bytes = undefined;
    }
  }

  /** No longer offers the bytes of image `id` (the store that held them let them go). */
  dropBytes(id: string): void {
    const e = this.entries.get(id);
    if (e) e.bytes = undefined;
  }

  /** What a newcomer says it has: the ids of the newest messages, and the time before which it wants nothing. */
  summary(): { have: string[]; since: number } {
    const all = this.inOrder();
    const have = all.slice(-this.maxMessages).map((e) => e.id);
    // A full window: older messages than its oldest are out of the sync's reach anyway.
    const since = all.length >= this.maxMessages ? all[all.length - this.maxMessages].sentAt : 0;
    return { have, since };
  }

  /** The signed records a newcomer lacks, oldest first (images only where the bytes are still kept). */
  serve(have: ReadonlySet<string>, since: number): HistoryRecord[] {
    const out: HistoryRecord[] = [];
    for (const e of this.inOrder()) {
      if (!e.record || e.sentAt < since || have.has(e.id)) continue;
      if (e.record.kind === 'image' && !e.bytes) continue;
      out.push(e.record);
    }
    return out.slice(-this.maxMessages);
  }

  /** An image's record and bytes, if kept. */
  async image(id: string): Promise<{ record: Extract<HistoryRecord, { kind: 'image' }>; bytes: Uint8Array } | null> {
    const e = this.entries.get(id);
    if (!e?.bytes || e.record?.kind !== 'image') return null;
    const record = e.record;
    const bytes = typeof e.bytes === 'function' ? await e.bytes().catch(() => null) : e.bytes;
    if (!bytes || bytes.byteLength !== record.size) return null;
    return { record, bytes };
  }

  private inOrder(): KeptEntry[] {
    return (this.ordered ??= [...this.entries.values()].sort(byRoomOrder));
  }
}
