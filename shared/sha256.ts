// SHA-256 in plain JS: a page served from http://<LAN IP> is not a secure context and has no
// crypto.subtle, so the browser and Node share this implementation.
//
// Why not @noble/hashes directly: its compression loop calls imported helpers (rotr, Chi, Maj);
// under tsx's CommonJS hook (how `uvu -r tsx` loads it) every call goes through an interop getter
// and 5 MiB took ~830 ms instead of ~60 ms. This self-contained loop runs at full speed in every
// loader; test/frames.test.ts checks it against @noble/hashes and node:crypto.

const K = new Int32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

export interface Sha256Hasher {
  update(bytes: Uint8Array): Sha256Hasher;
  digest(): Uint8Array;
  digestHex(): string;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]];
  return out;
}

/** Compresses every whole 64-byte block of `data` from `offset` into `h`; returns the offset reached. */
function blocks(h: Int32Array, w: Int32Array, data: Uint8Array, offset: number, end: number): number {
  let h0 = h[0], h1 = h[1], h2 = h[2], h3 = h[3], h4 = h[4], h5 = h[5], h6 = h[6], h7 = h[7];
  for (; offset + 64 <= end; offset += 64) {
    for (let i = 0; i < 16; i++) {
      const j = offset + i * 4;
      w[i] = (data[j] << 24) | (data[j + 1] << 16) | (data[j + 2] << 8) | data[j + 3];
    }
    for (let i = 16; i < 64; i++) {
      const a = w[i - 15], b = w[i - 2];
      const s0 = ((a >>> 7) | (a << 25)) ^ ((a >>> 18) | (a << 14)) ^ (a >>> 3);
      const s1 = ((b >>> 17) | (b << 15)) ^ ((b >>> 19) | (b << 13)) ^ (b >>> 10);
      w[i] = (w[i - 16] + s0 + w[i - 7] + s1) | 0;
    }
    let a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, hh = h7;
    for (let i = 0; i < 64; i++) {
      const S1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
      const t1 = (hh + S1 + ((e & f) ^ (~e & g)) + K[i] + w[i]) | 0;
      const S0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
      const t2 = (S0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      hh = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    h0 = (h0 + a) | 0; h1 = (h1 + b) | 0; h2 = (h2 + c) | 0; h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0; h5 = (h5 + f) | 0; h6 = (h6 + g) | 0; h7 = (h7 + hh) | 0;
  }
  h[0] = h0; h[1] = h1; h[2] = h2; h[3] = h3; h[4] = h4; h[5] = h5; h[6] = h6; h[7] = h7;
  return offset;
}

/** Incremental hash, so a receiver hashes chunk by chunk instead of 5 MiB at the end. */
export function createSha256(): Sha256Hasher {
  const h = new Int32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const w = new Int32Array(64);
  const pending = new Uint8Array(64);
  let pendingLength = 0;
  let total = 0;
  let finished: Uint8Array | null = null;
  const hasher: Sha256Hasher = {
    update(bytes) {
      if (finished) throw new Error('sha256: update after digest');
      total += bytes.byteLength;
      let offset = 0;
      if (pendingLength > 0) {
        const take = Math.min(64 - pendingLength, bytes.byteLength);
        pending.set(bytes.subarray(0, take), pendingLength);
        pendingLength += take;
        offset = take;
        if (pendingLength < 64) return hasher;
        blocks(h, w, pending, 0, 64);
        pendingLength = 0;
      }
      offset = blocks(h, w, bytes, offset, bytes.byteLength);
      pending.set(bytes.subarray(offset), 0);
      pendingLength = bytes.byteLength - offset;
      return hasher;
    },
    digest() {
      if (finished) return finished.slice();
      const tail = new Uint8Array(pendingLength + 9 <= 64 ? 64 : 128);
      tail.set(pending.subarray(0, pendingLength));
      tail[pendingLength] = 0x80;
      const view = new DataView(tail.buffer);
      view.setUint32(tail.length - 8, Math.floor(total / 0x20000000));
      view.setUint32(tail.length - 4, (total * 8) >>> 0);
      blocks(h, w, tail, 0, tail.length);
      finished = new Uint8Array(32);
      const out = new DataView(finished.buffer);
      for (let i = 0; i < 8; i++) out.setUint32(i * 4, h[i]);
      return finished.slice();
    },
    digestHex: () => toHex(hasher.digest()),
  };
  return hasher;
}

export function sha256(bytes: Uint8Array): Uint8Array {
  return createSha256().update(bytes).digest();
}

export function sha256Hex(bytes: Uint8Array): string {
  return toHex(sha256(bytes));
}

export function isSha256Hex(value: unknown): value is string {
  return typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
}

interface SubtleDigest {
  digest(algorithm: string, data: Uint8Array): Promise<ArrayBuffer>;
}

function subtle(): SubtleDigest | null {
  const c = (globalThis as { crypto?: { subtle?: SubtleDigest } }).crypto;
  return c?.subtle && typeof c.subtle.digest === 'function' ? c.subtle : null;
}

/** True where WebCrypto exists: Node, and pages in a secure context (https, 127.0.0.1) - not http://<LAN IP>. */
export function nativeSha256Available(): boolean {
  return subtle() !== null;
}

/**
 * One-shot SHA-256 by WebCrypto: native and off the main thread (~5 ms per 5 MiB in Node, vs ~38 ms
 * for the JS loop on it). Rejects where WebCrypto is missing; callers check nativeSha256Available().
 */
export async function nativeSha256Hex(bytes: Uint8Array): Promise<string> {
  const s = subtle();
  if (!s) throw new Error('sha256: no WebCrypto here');
  return toHex(new Uint8Array(await s.digest('SHA-256', bytes)));
}
