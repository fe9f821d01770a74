// One message as peers pass it on (history from peers): its content record with the author
// device's signature, never the bytes of an image (those follow as an image transfer). Validated
// field by field like every frame payload; `contentOf` gives the record the signature covers.

import { ChatError, type ErrorCode } from './errors';
import type { ContentRecord } from './contentRecord';
import { isSignatureText } from './contentRecord';
import { IMAGE_MAX_BYTES, IMAGE_MIME_TYPES, IMAGE_NAME_MAX_CHARS, TEXT_MAX_CHARS, USERNAME_MAX_CHARS, type ImageMime } from './limits';
import { isSha256Hex } from './sha256';

export type HistoryRecord =
  | { kind: 'text'; id: string; author: string; device: string; sentAt: number; text: string; sig: string }
  | { kind: 'image'; id: string; author: string; device: string; sentAt: number; sha256: string; mime: ImageMime; size: number; name: string; sig: string };

/** What the signature covers: the record without its signature. */
export function contentOf(record: HistoryRecord): ContentRecord {
  const { sig: _sig, ...content } = record;
  return content;
}

const ID = /^[0-9a-f]{32}$/;
const DEVICE = /^[A-Za-z0-9_-]{43}$/;

function bad(message: string, code: ErrorCode = 'BAD_FRAME'): never {
  throw new ChatError(code, `history record: ${message}`);
}

function str(obj: Record<string, unknown>, key: string, max: number, min = 0): string {
  const v = obj[key];
  if (typeof v !== 'string' || v.length < min || v.length > max) bad(`"${key}" must be a string of ${min}..${max} chars`);
  return v;
}

function int(obj: Record<string, unknown>, key: string, min: number, max: number): number {
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) bad(`"${key}" must be an integer in ${min}..${max}`);
  return v;
}

/** Validates one record of a HISTORY_BATCH. Throws ChatError (BAD_FRAME, TEXT_TOO_LONG, BAD_SIGNATURE). */
export function parseHistoryRecord(value: unknown): HistoryRecord {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) bad('must be an object');
  const obj = value as Record<string, unknown>;
  const id = str(obj, 'id', 32, 32);
  if (!ID.test(id)) bad('"id" must be 32 hex chars');
  const author = str(obj, 'author', USERNAME_MAX_CHARS * 2, 1);
  const device = str(obj, 'device', 43, 43);
  if (!DEVICE.test(device)) bad('"device" must be a device key', 'BAD_KEY');
  const sentAt = int(obj, 'sentAt', 0, Number.MAX_SAFE_INTEGER);
  if (!isSignatureText(obj.sig)) bad('"sig" must be a signature', 'BAD_SIGNATURE');
  const sig = obj.sig;
  if (obj.kind === 'text') {
    if (typeof obj.text === 'string' && obj.text.length > TEXT_MAX_CHARS) bad(`text over ${TEXT_MAX_CHARS} characters`, 'TEXT_TOO_LONG');
    return { kind: 'text', id, author, device, sentAt, text: str(obj, 'text', TEXT_MAX_CHARS), sig };
  }
  if (obj.kind !== 'image') bad('"kind" must be text or image');
  if (!isSha256Hex(obj.sha256)) bad('"sha256" must be 64 hex chars');
  const mime = obj.mime;
  if (typeof mime !== 'string' || !(IMAGE_MIME_TYPES as readonly string[]).includes(mime)) bad('unsupported image type', 'BAD_IMAGE');
  const size = int(obj, 'size', 1, IMAGE_MAX_BYTES);
  const name = str(obj, 'name', IMAGE_NAME_MAX_CHARS * 2);
  return { kind: 'image', id, author, device, sentAt, sha256: obj.sha256, mime: mime as ImageMime, size, name, sig };
}
