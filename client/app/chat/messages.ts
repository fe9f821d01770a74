// Converting mesh messages into what the UI shows and the history keeps.

import type { ChatMessage, KeptEntry } from '../../mesh/api';
import { IMAGE_MIME_TYPES, type ImageMime } from '../../../shared/limits';
import { HISTORY_MAX_MESSAGES, type StoredMessage } from './history';
import { sourceBlob } from './imageSources';

export function toStored(message: ChatMessage, receivedAt: number): StoredMessage {
  const base = {
    id: message.id,
    from: message.from,
    sentAt: message.sentAt,
    own: message.own,
    receivedAt,
    signed: { device: message.device, sig: message.sig, ...(message.kind === 'image' ? { sha256: message.sha256 } : {}) },
    ...(message.via ? { via: message.via } : {}),
  };
  if (message.kind === 'text') return { ...base, kind: 'text', text: message.text, size: message.text.length * 2 };
  // The Blob takes its own copy of the bytes (no second copy before it, as there was); our
  // own image is the picked file itself, with no copy at all. (The mesh's bytes are never shared memory.)
  const bytes = message.bytes as Uint8Array<ArrayBuffer>;
  const blob = sourceBlob(bytes, message.mime) ?? new Blob([bytes], { type: message.mime });
  return { ...base, kind: 'image', name: message.name, mime: message.mime, blob, size: blob.size };
}

/** The room's order, the same in every page: sent time, then message id (mesh.ts nextSentAt stamps after the newest seen). */
export function roomOrder(a: StoredMessage, b: StoredMessage): number {
  return a.sentAt - b.sentAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** Adds messages not seen before (by id), each at its place in the room's order, within the history's bound. */
export function mergeMessages(current: StoredMessage[], incoming: StoredMessage[]): StoredMessage[] {
  const known = new Set(current.map((m) => m.id));
  const fresh = incoming.filter((m) => !known.has(m.id) && (known.add(m.id), true));
  if (!fresh.length) return current;
  return [...current, ...fresh].sort(roomOrder).slice(-HISTORY_MAX_MESSAGES);
}

/**
 * What the mesh may pass on of a stored message: its signed record (an image's bytes read from its
 * Blob only when a newcomer asks). Messages stored before signing have none: never passed on.
 */
export function keptEntryOf(m: StoredMessage): KeptEntry {
  const signed = m.signed;
  const base = { id: m.id, sentAt: m.sentAt, record: null };
  if (!signed) return base;
  const common = { id: m.id, author: m.from.username, device: signed.device, sentAt: m.sentAt, sig: signed.sig };
  if (m.kind === 'text' && typeof m.text === 'string') return { ...base, record: { ...common, kind: 'text', text: m.text } };
  const mime = m.mime as ImageMime;
  if (m.kind !== 'image' || !m.blob || !signed.sha256 || !IMAGE_MIME_TYPES.includes(mime)) return base;
  const blob = m.blob;
  return {
    ...base,
    record: { ...common, kind: 'image', sha256: signed.sha256, mime, size: blob.size, name: m.name ?? '' },
    bytes: () => blob.arrayBuffer().then((b) => new Uint8Array(b)),
  };
}
