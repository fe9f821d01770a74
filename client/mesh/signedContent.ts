// The content record (shared/contentRecord.ts) of a message as the mesh knows it, so that the
// signer (own messages) and every verifier (live, backfilled) build exactly the same bytes.

import type { ContentRecord } from '../../shared/contentRecord';

export type SignedFields =
  | { kind: 'text'; id: string; sentAt: number; text: string }
  | { kind: 'image'; id: string; sentAt: number; sha256: string; mime: string; size: number; name: string };

/** The record of `m` written by `author` on the device `device` (base64url public key). */
export function contentRecordOf(m: SignedFields, author: string, device: string): ContentRecord {
  if (m.kind === 'text') return { kind: 'text', author, device, id: m.id, sentAt: m.sentAt, text: m.text };
  return { kind: 'image', author, device, id: m.id, sentAt: m.sentAt, sha256: m.sha256, mime: m.mime, size: m.size, name: m.name };
}
