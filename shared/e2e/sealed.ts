// A relayed payload sealed end to end, for one or several receivers of the same bytes (the relay's
// fan-out: an image chunk crosses the sender's link once). Layout:
//
//   [version u8][n u8][sender session key, 32][n x receiver peer id, PEER_ID_CHARS]     prefix
//   [content: the frame or bundle, encrypted][content tag, 16]
//   [n x wrap: [counter u64 BE][content key, encrypted, 32][wrap tag, 16]]
//
// The content is encrypted once under a content key made for this payload alone (so its nonce
// may be zero), with the prefix as associated data: the sender's session and the receiver set are
// bound in. Each receiver's wrap carries that content key under the pair's directional key
// (pairKeys.ts), with the receiver's counter as nonce and the prefix and the whole content as
// associated data: a wrap opens only for its receiver, only from its sender, only once (the counter
// must grow), and only with the content it was made for, so another receiver of the same payload,
// who knows the content key, still cannot forge content to the others. With one receiver there is
// no other to forge for: its wrap binds the prefix and the content's tag only (a pass of Poly1305
// over the content less on each end, which counts in a page's pure-JS cipher).

import { ChatError } from '../errors';
import { AEAD_KEY_BYTES, AEAD_NONCE_BYTES, AEAD_TAG_BYTES, PEER_ID_CHARS, RELAY_RECIPIENTS_MAX, SESSION_KEY_BYTES } from '../limits';
import type { Aead } from './aead';

/** The first byte of a sealed payload: never a peer frame's version (shared/limits.ts FRAME_VERSION), so a frame relayed unsealed is told apart. */
export const SEALED_VERSION = 0xe1;
const WRAP_BYTES = 8 + AEAD_KEY_BYTES + AEAD_TAG_BYTES;
const ZERO_NONCE = new Uint8Array(AEAD_NONCE_BYTES);

/** One receiver of a sealed payload: its peer id, the pair's sending key and the counter of this payload. */
export interface SealTarget {
  peerId: string;
  key: Uint8Array;
  counter: number;
}

const prefixBytes = (receivers: number) => 2 + SESSION_KEY_BYTES + receivers * PEER_ID_CHARS;

/** Bytes a sealed payload adds to its content for `receivers` receivers. */
export function sealOverhead(receivers: number): number {
  return prefixBytes(receivers) + AEAD_TAG_BYTES + receivers * WRAP_BYTES;
}

/**
 * Content keys are cut from a pool of random bytes filled 4 KiB at a time, each slice used once and
 * zeroed: one getRandomValues call per payload cost as much as sealing a text (~40 us in Node).
 */
const KEY_POOL_BYTES = 4096;
const keyPool = new Uint8Array(KEY_POOL_BYTES);
let keyPoolAt = KEY_POOL_BYTES;

/** Writes a fresh random content key into `out` (AEAD_KEY_BYTES). */
function freshContentKey(out: Uint8Array): void {
  if (keyPoolAt + AEAD_KEY_BYTES > KEY_POOL_BYTES) {
    globalThis.crypto.getRandomValues(keyPool);
    keyPoolAt = 0;
  }
  const slice = keyPool.subarray(keyPoolAt, keyPoolAt + AEAD_KEY_BYTES);
  out.set(slice);
  slice.fill(0);
  keyPoolAt += AEAD_KEY_BYTES;
}

function counterNonce(counter: number): Uint8Array {
  const nonce = new Uint8Array(AEAD_NONCE_BYTES);
  new DataView(nonce.buffer).setBigUint64(AEAD_NONCE_BYTES - 8, BigInt(counter));
  return nonce;
}

/**
 * Writes the sealed payload into `out` (exactly sealOverhead(targets.length) + contentBytes bytes):
 * `writeContent` fills the content in place, which is then encrypted where it lies.
 */
export function writeSealed(out: Uint8Array, aead: Aead, senderSessionKey: Uint8Array, targets: readonly SealTarget[], contentBytes: number, writeContent: (region: Uint8Array) => void): void {
  const n = targets.length;
  if (n < 1 || n > RELAY_RECIPIENTS_MAX) throw new ChatError('INTERNAL', `a sealed payload names 1 to ${RELAY_RECIPIENTS_MAX} receivers`);
  if (out.byteLength !== sealOverhead(n) + contentBytes) throw new ChatError('INTERNAL', 'sealed payload of the wrong size');
  const prefix = prefixBytes(n);
  out[0] = SEALED_VERSION;
  out[1] = n;
  out.set(senderSessionKey, 2);
  targets.forEach(({ peerId }, i) => {
    if (peerId.length !== PEER_ID_CHARS) throw new ChatError('INTERNAL', 'a receiver without a peer id');
    for (let c = 0; c < PEER_ID_CHARS; c++) out[2 + SESSION_KEY_BYTES + i * PEER_ID_CHARS + c] = peerId.charCodeAt(c);
  });
  const content = out.subarray(prefix, prefix + contentBytes);
  writeContent(content);
  const contentKey = new Uint8Array(AEAD_KEY_BYTES);
  freshContentKey(contentKey);
  const wrapsAt = prefix + contentBytes + AEAD_TAG_BYTES;
  aead.seal(contentKey, ZERO_NONCE, out.subarray(0, prefix), content, out.subarray(prefix + contentBytes, wrapsAt));
  const bound = wrapBinding(out, n, prefix, wrapsAt);
  targets.forEach(({ key, counter }, i) => {
    const wrap = out.subarray(wrapsAt + i * WRAP_BYTES, wrapsAt + (i + 1) * WRAP_BYTES);
    new DataView(wrap.buffer, wrap.byteOffset, 8).setBigUint64(0, BigInt(counter));
    const wrapped = wrap.subarray(8, 8 + AEAD_KEY_BYTES);
    wrapped.set(contentKey);
    aead.seal(key, counterNonce(counter), bound, wrapped, wrap.subarray(8 + AEAD_KEY_BYTES));
  });
  contentKey.fill(0);
}

/** What a receiver's wrap authenticates: the prefix and the whole content, or with a single receiver the prefix and the content's tag. */
function wrapBinding(bytes: Uint8Array, receivers: number, prefix: number, wrapsAt: number): Uint8Array {
  if (receivers > 1) return bytes.subarray(0, wrapsAt);
  const out = new Uint8Array(prefix + AEAD_TAG_BYTES);
  out.set(bytes.subarray(0, prefix));
  out.set(bytes.subarray(wrapsAt - AEAD_TAG_BYTES, wrapsAt), prefix);
  return out;
}

/** The sender's session key named in a sealed payload (to pick the keys to open it with). */
export function sealedSender(bytes: Uint8Array): Uint8Array {
  if (bytes.byteLength < 2 + SESSION_KEY_BYTES || bytes[0] !== SEALED_VERSION) throw new ChatError('SEALED_ALTERED', 'not a sealed payload of this version');
  return bytes.subarray(2, 2 + SESSION_KEY_BYTES);
}

export interface OpenedPayload {
  /** The content, decrypted in place: a view into the payload. */
  content: Uint8Array;
  counter: number;
}

/**
 * Opens the payload for `ownPeerId` with the pair's receiving `key`; `lastCounter` is the highest
 * counter opened from this sender's session so far. Throws ChatError SEALED_MISROUTED (not sealed
 * for this device), SEALED_REPLAYED (a counter already used) or SEALED_ALTERED (anything else).
 */
export function openSealed(bytes: Uint8Array, aead: Aead, ownPeerId: string, key: Uint8Array, lastCounter: number): OpenedPayload {
  sealedSender(bytes);
  const n = bytes[1];
  if (n < 1 || n > RELAY_RECIPIENTS_MAX || bytes.byteLength < sealOverhead(n)) throw new ChatError('SEALED_ALTERED', 'truncated sealed payload');
  const prefix = prefixBytes(n);
  const contentBytes = bytes.byteLength - sealOverhead(n);
  let index = -1;
  for (let i = 0; i < n && index < 0; i++) {
    let same = true;
    for (let c = 0; c < PEER_ID_CHARS && same; c++) same = bytes[2 + SESSION_KEY_BYTES + i * PEER_ID_CHARS + c] === ownPeerId.charCodeAt(c);
    if (same) index = i;
  }
  if (index < 0) throw new ChatError('SEALED_MISROUTED', 'sealed for other receivers');
  const wrapsAt = prefix + contentBytes + AEAD_TAG_BYTES;
  const wrap = bytes.subarray(wrapsAt + index * WRAP_BYTES, wrapsAt + (index + 1) * WRAP_BYTES);
  const counter = Number(new DataView(wrap.buffer, wrap.byteOffset, 8).getBigUint64(0));
  if (!Number.isSafeInteger(counter) || counter <= lastCounter) throw new ChatError('SEALED_REPLAYED', `counter ${counter} already used (last ${lastCounter})`);
  const contentKey = wrap.slice(8, 8 + AEAD_KEY_BYTES);
  if (!aead.open(key, counterNonce(counter), wrapBinding(bytes, n, prefix, wrapsAt), contentKey, wrap.subarray(8 + AEAD_KEY_BYTES))) {
    throw new ChatError('SEALED_ALTERED', 'the key wrap does not verify (altered, or not from this sender)');
  }
  const content = bytes.subarray(prefix, prefix + contentBytes);
  if (!aead.open(contentKey, ZERO_NONCE, bytes.subarray(0, prefix), content, bytes.subarray(prefix + contentBytes, wrapsAt))) {
    throw new ChatError('SEALED_ALTERED', 'the content does not verify');
  }
  return { content, counter };
}
