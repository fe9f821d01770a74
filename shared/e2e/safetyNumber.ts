// Safety numbers: a short fingerprint of two devices' keys, the same on both screens, that two
// people compare once (by voice, side by side) to know no server swapped a key between them.

import { sha256 } from '@noble/hashes/sha2.js';
import { decodeBase64url } from '../base64url';
import { SAFETY_NUMBER_DIGITS, SAFETY_NUMBER_GROUP_DIGITS } from '../limits';

const encoder = new TextEncoder();

/** SAFETY_NUMBER_DIGITS digits in groups of SAFETY_NUMBER_GROUP_DIGITS, e.g. "0412 9931 2870"; the order of the two keys does not matter. */
export function safetyNumber(deviceKeyA: string, deviceKeyB: string): string {
  const [first, second] = [deviceKeyA, deviceKeyB].sort();
  const a = decodeBase64url(first) ?? new Uint8Array(0);
  const b = decodeBase64url(second) ?? new Uint8Array(0);
  const input = new Uint8Array([...encoder.encode('chatroom-safety-number-v1\u0000'), ...a, ...b]);
  const digest = sha256(input);
  let value = 0n;
  for (const byte of digest.subarray(0, 8)) value = (value << 8n) | BigInt(byte);
  const digits = (value % 10n ** BigInt(SAFETY_NUMBER_DIGITS)).toString().padStart(SAFETY_NUMBER_DIGITS, '0');
  const groups: string[] = [];
  for (let i = 0; i < digits.length; i += SAFETY_NUMBER_GROUP_DIGITS) groups.push(digits.slice(i, i + SAFETY_NUMBER_GROUP_DIGITS));
  return groups.join(' ');
}
