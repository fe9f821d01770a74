// Device records: one per browser profile or CLI state folder that logged in to an account. A
// device gets an id and a secret token at its first successful login; it keeps them across logouts
// and sends the token with each login, which then counts as "a known device" for the throttle.
// The server keeps only the token's SHA-256 hash, in the account's record, capped per account.

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { DEVICE_ID_BYTES, DEVICE_TOKEN_BYTES, DEVICES_PER_ACCOUNT_MAX } from '../../shared/limits';

export interface DeviceRecord {
  /** base64url, DEVICE_ID_BYTES random bytes; part of the token, not secret. */
  id: string;
  /** SHA-256 (hex) of the whole token. */
  tokenHash: string;
  createdAt: number;
  lastSeenAt: number;
}

/** "<id>.<secret>", both base64url. */
const DEVICE_TOKEN_PATTERN = new RegExp(`^([A-Za-z0-9_-]{${Math.ceil((DEVICE_ID_BYTES * 4) / 3)}})\\.[A-Za-z0-9_-]{${Math.ceil((DEVICE_TOKEN_BYTES * 4) / 3)}}$`);

function hashDeviceToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** A new device: its token (given to the client once) and the record kept. */
export function newDevice(now = Date.now()): { token: string; record: DeviceRecord } {
  const id = randomBytes(DEVICE_ID_BYTES).toString('base64url');
  const token = `${id}.${randomBytes(DEVICE_TOKEN_BYTES).toString('base64url')}`;
  return { token, record: { id, tokenHash: hashDeviceToken(token), createdAt: now, lastSeenAt: now } };
}

/** The device of `token` among an account's devices, or undefined (malformed, unknown, forgotten). */
export function findDevice(devices: readonly DeviceRecord[] | undefined, token: unknown): DeviceRecord | undefined {
  if (typeof token !== 'string') return undefined;
  const match = DEVICE_TOKEN_PATTERN.exec(token);
  if (!match) return undefined;
  const record = devices?.find((d) => d.id === match[1]);
  if (!record) return undefined;
  const expected = Buffer.from(record.tokenHash, 'hex');
  const actual = Buffer.from(hashDeviceToken(token), 'hex');
  return expected.length === actual.length && timingSafeEqual(expected, actual) ? record : undefined;
}

/** The account's devices with `record` added or refreshed; past `max` the ones seen least recently are dropped. */
export function withDevice(devices: readonly DeviceRecord[] | undefined, record: DeviceRecord, max = DEVICES_PER_ACCOUNT_MAX): DeviceRecord[] {
  const others = (devices ?? []).filter((d) => d.id !== record.id);
  others.sort((a, b) => b.lastSeenAt - a.lastSeenAt);
  return [record, ...others.slice(0, Math.max(0, max - 1))];
}
