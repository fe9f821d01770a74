// base64url without padding (RFC 4648 section 5), the same in a page and in Node (no Buffer).

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** The value of each character code below 128, -1 for a character outside the alphabet. */
const VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i;

/** Characters turned into a string at once (String.fromCharCode's argument list stays small). */
const CHARS_PER_CHUNK = 8_192;
const ALPHABET_CODES = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0));

export function encodeBase64url(bytes: Uint8Array): string {
  // Character codes first, then flat strings: appending one character at a time built a rope of
  // thousands of pieces per 4 KiB room digest, and 5,000 of them kept the garbage collector busy for seconds.
  const codes = new Uint8Array(Math.ceil((bytes.length * 8) / 6));
  let j = 0;
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i] << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(4, Math.ceil(((bytes.length - i) * 8) / 6));
    for (let k = 0; k < chars; k++) codes[j++] = ALPHABET_CODES[(n >> (18 - 6 * k)) & 63];
  }
  let out = '';
  for (let at = 0; at < codes.length; at += CHARS_PER_CHUNK) out += String.fromCharCode(...codes.subarray(at, at + CHARS_PER_CHUNK));
  return out;
}

/** The bytes of `text`, or null when it is not unpadded base64url (or has stray bits set in its last character). */
export function decodeBase64url(text: string): Uint8Array | null {
  if (text.length % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((text.length * 6) / 8));
  let bits = 0;
  let acc = 0;
  let j = 0;
  // By char code, through a table: a 4 KiB room digest in every resuming auth made a Map lookup per character show in profiles.
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const v = code < 128 ? VALUE[code] : -1;
    if (v < 0) return null;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[j++] = (acc >> bits) & 255;
    }
  }
  // Canonical form only: the bits left over must be zero, so one key has one spelling.
  if ((acc & ((1 << bits) - 1)) !== 0) return null;
  return out;
}
