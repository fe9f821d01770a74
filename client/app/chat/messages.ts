// Converting mesh messages into what the UI shows and the history keeps.

import type { ChatMessage } from '../../mesh/api';
import { HISTORY_MAX_MESSAGES, type StoredMessage } from './history';

export function toStored(message: ChatMessage, receivedAt: number): StoredMessage {
  const base = { id: message.id, from: message.from, sentAt: message.sentAt, own: message.own, receivedAt };
  if (message.kind === 'text') return { ...base, kind: 'text', text: message.text, size: message.text.length * 2 };
  // Copy: the mesh may reuse or transfer the underlying buffer.
  const blob = new Blob([message.bytes.slice()], { type: message.mime });
  return { ...base, kind: 'image', name: message.name, mime: message.mime, blob, size: blob.size };
}

/** Appends messages not seen before (by id), keeping arrival order and the history's bound. */
export function mergeMessages(current: StoredMessage[], incoming: StoredMessage[]): StoredMessage[] {
  const known = new Set(current.map((m) => m.id));
  const fresh = incoming.filter((m) => !known.has(m.id) && (known.add(m.id), true));
  if (!fresh.length) return current;
  return [...current, ...fresh].sort((a, b) => a.receivedAt - b.receivedAt).slice(-HISTORY_MAX_MESSAGES);
}
