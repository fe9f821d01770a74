// Converting mesh messages into what the UI shows and the history keeps.

import type { ChatMessage } from '../../mesh/api';
import { HISTORY_MAX_MESSAGES, type StoredMessage } from './history';
import { sourceBlob } from './imageSources';

export function toStored(message: ChatMessage, receivedAt: number): StoredMessage {
  const base = { id: message.id, from: message.from, sentAt: message.sentAt, own: message.own, receivedAt };
  if (message.kind === 'text') return { ...base, kind: 'text', text: message.text, size: message.text.length * 2 };
  // The Blob takes its own copy of the bytes (no second copy before it, as there was); our
  // own image is the picked file itself, with no copy at all. (The mesh's bytes are never shared memory.)
  const bytes = message.bytes as Uint8Array<ArrayBuffer>;
  const blob = sourceBlob(bytes, message.mime) ?? new Blob([bytes], { type: message.mime });
  return { ...base, kind: 'image', name: message.name, mime: message.mime, blob, size: blob.size };
}

/** Appends messages not seen before (by id), keeping arrival order and the history's bound. */
export function mergeMessages(current: StoredMessage[], incoming: StoredMessage[]): StoredMessage[] {
  const known = new Set(current.map((m) => m.id));
  const fresh = incoming.filter((m) => !known.has(m.id) && (known.add(m.id), true));
  if (!fresh.length) return current;
  return [...current, ...fresh].sort((a, b) => a.receivedAt - b.receivedAt).slice(-HISTORY_MAX_MESSAGES);
}
