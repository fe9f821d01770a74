// The serving side of history from peers, as pure builders the mesh sends: a listing cut into
// batches that each fit one frame, an image passed on with its origin and the seal it came with,
// and what the keeper holds of a message shown here.

import { FRAME_HEADER_BYTES } from '../../shared/frames';
import type { HistoryRecord } from '../../shared/historyRecord';
import { CHUNK_BYTES, HISTORY_BATCH_RECORDS_MAX, PEER_FRAME_MAX_BYTES } from '../../shared/limits';
import type { ChatMessage } from './api';
import type { KeptEntry } from './historyKeeper';
import { ImageFrames } from './imageFrames';
import { KnownSeal } from './imageSeal';
import type { OutgoingImage } from './outbox';

/** Room for records in one HISTORY_BATCH frame (bytes): the frame cap less the header and the payload's own JSON. */
const BATCH_ROOM_BYTES = PEER_FRAME_MAX_BYTES - FRAME_HEADER_BYTES - 64;

/** `records` in order, cut into batches of at most HISTORY_BATCH_RECORDS_MAX that each fit a frame (always one batch at least). */
export function historyBatches(records: readonly HistoryRecord[]): HistoryRecord[][] {
  const batches: HistoryRecord[][] = [[]];
  const encoder = new TextEncoder();
  let bytes = 0;
  for (const r of records) {
    const size = encoder.encode(JSON.stringify(r)).byteLength + 1;
    if (size > BATCH_ROOM_BYTES) continue; // a text whose escaping alone fills a frame: not passed on
    let batch = batches[batches.length - 1];
    if (batch.length >= HISTORY_BATCH_RECORDS_MAX || bytes + size > BATCH_ROOM_BYTES) {
      batches.push((batch = []));
      bytes = 0;
    }
    batch.push(r);
    bytes += size;
  }
  return batches;
}

/** An image passed on to a newcomer: its origin in the start, the digest and signature it was received with at the end. */
export function forwardedImage(record: Extract<HistoryRecord, { kind: 'image' }>, bytes: Uint8Array): OutgoingImage {
  const start = {
    sentAt: record.sentAt,
    name: record.name,
    mime: record.mime,
    size: record.size,
    chunks: Math.ceil(record.size / CHUNK_BYTES),
    origin: { author: record.author, device: record.device },
  };
  return { kind: 'image', id: record.id, start, bytes, seal: new KnownSeal({ sha256: record.sha256, sig: record.sig }), frames: new ImageFrames(record.id, start, bytes) };
}

/** What the keeper holds of a message shown here. */
export function keptEntryOf(m: ChatMessage): KeptEntry {
  const base = { id: m.id, author: m.from.username, device: m.device, sentAt: m.sentAt, sig: m.sig };
  if (m.kind === 'text') return { id: m.id, sentAt: m.sentAt, record: { ...base, kind: 'text', text: m.text } };
  const record: HistoryRecord = { ...base, kind: 'image', sha256: m.sha256, mime: m.mime, size: m.bytes.byteLength, name: m.name };
  return { id: m.id, sentAt: m.sentAt, record, bytes: m.bytes };
}
