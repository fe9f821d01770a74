// The fixed record of one message's content that its author's device signs (issue "history from
// peers"): who wrote it (account and device), its id, its sent time and what it says (the text, or
// the image's SHA-256 with its type, size and name). Every path and every forwarder carries the same
// record unchanged; delivery fields (sequence numbers, acks, who passed it on) stay outside it.
//
// The signed bytes are a fixed layout, never JSON (whose key order and number spelling vary):
//   "chatroom-content-v1" 0x00, then each field as a 4-byte big-endian length and its UTF-8 bytes.

import type { DeviceKeyPair, DeviceVerifier } from './deviceKey';
import { signWithDevice, verifyDeviceSignature } from './deviceKey';
import { decodeBase64url, encodeBase64url } from './base64url';
import { DEVICE_KEY_BYTES, DEVICE_SIGNATURE_BYTES } from './limits';

export type ContentRecord =
  | { kind: 'text'; author: string; device: string; id: string; sentAt: number; text: string }
  | { kind: 'image'; author: string; device: string; id: string; sentAt: number; sha256: string; mime: string; size: number; name: string };

const DOMAIN = 'chatroom-content-v1';

/** The bytes a device signs for `record`. */
export function contentBytes(record: ContentRecord): Uint8Array {
  const fields: string[] = [DOMAIN, record.kind, record.author, record.device, record.id, String(record.sentAt)];
  if (record.kind === 'text') fields.push(record.text);
  else fields.push(record.sha256, record.mime, String(record.size), record.name);
  const encoder = new TextEncoder();
  const parts = fields.map((f) => encoder.encode(f));
  const out = new Uint8Array(parts.reduce((n, p) => n + 4 + p.length, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const p of parts) {
    view.setUint32(at, p.length);
    out.set(p, at + 4);
    at += 4 + p.length;
  }
  return out;
}

export function signContent(key: DeviceKeyPair, record: ContentRecord): Uint8Array {
  return signWithDevice(key, contentBytes(record));
}

/** True when `signature` is `publicKey`'s over exactly this record. */
export function verifyContent(publicKey: Uint8Array, signature: Uint8Array, record: ContentRecord, verify: DeviceVerifier = verifyDeviceSignature): boolean {
  return verify(publicKey, signature, contentBytes(record));
}

/** A signature as frames and history carry it: 64 bytes in unpadded base64url (86 chars). */
export function isSignatureText(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{85}[AQgw]$/.test(value);
}

/** Signs `record` with this device's key; the signature as frames carry it. */
export function signContentText(key: DeviceKeyPair, record: ContentRecord): string {
  return encodeBase64url(signContent(key, record));
}

/** True when `sig` (base64url) is `device`'s (base64url public key) over exactly `record`. */
export function verifyContentText(record: ContentRecord, sig: string, verify: DeviceVerifier = verifyDeviceSignature): boolean {
  const publicKey = decodeBase64url(record.device);
  const signature = decodeBase64url(sig);
  if (!publicKey || publicKey.length !== DEVICE_KEY_BYTES || !signature || signature.length !== DEVICE_SIGNATURE_BYTES) return false;
  return verifyContent(publicKey, signature, record, verify);
}
