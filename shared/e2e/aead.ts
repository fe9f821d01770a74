// ChaCha20-Poly1305 (RFC 8439) in place: the one cipher of end-to-end encryption. Pure JS
// (@noble/ciphers) by default, because a page at http://<LAN IP> has no crypto.subtle; Node callers
// inject node:crypto's (client/cli/nodeAead.ts), as MeshOptions.sha256 does for hashing.

import { chacha20poly1305 } from '@noble/ciphers/chacha.js';
import { AEAD_KEY_BYTES, AEAD_NONCE_BYTES, AEAD_TAG_BYTES } from '../limits';

export interface Aead {
  /** Encrypts `data` in place and writes the tag into `tag` (AEAD_TAG_BYTES). */
  seal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, data: Uint8Array, tag: Uint8Array): void;
  /** Decrypts `data` in place when `tag` is right; false (and `data` unchanged) when it is not. */
  open(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, data: Uint8Array, tag: Uint8Array): boolean;
}

function checkSizes(key: Uint8Array, nonce: Uint8Array, tag: Uint8Array): void {
  if (key.byteLength !== AEAD_KEY_BYTES || nonce.byteLength !== AEAD_NONCE_BYTES || tag.byteLength !== AEAD_TAG_BYTES) {
    throw new Error('aead: key, nonce or tag of the wrong size');
  }
}

/** The data and its tag as one view when the tag directly follows the data (the sealed layout): noble then works in place, with no copy. */
function joined(data: Uint8Array, tag: Uint8Array): Uint8Array | null {
  return data.buffer === tag.buffer && data.byteOffset + data.byteLength === tag.byteOffset ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength + tag.byteLength) : null;
}

export const nobleAead: Aead = {
  seal(key, nonce, aad, data, tag) {
    checkSizes(key, nonce, tag);
    const region = joined(data, tag);
    if (region) {
      chacha20poly1305(key, nonce, aad).encrypt(data, region);
      return;
    }
    const out = chacha20poly1305(key, nonce, aad).encrypt(data);
    data.set(out.subarray(0, data.byteLength));
    tag.set(out.subarray(data.byteLength));
  },
  open(key, nonce, aad, data, tag) {
    checkSizes(key, nonce, tag);
    const region = joined(data, tag) ?? concat(data, tag);
    try {
      // Throws before it writes anything when the tag is wrong.
      chacha20poly1305(key, nonce, aad).decrypt(region, data);
    } catch {
      return false;
    }
    return true;
  },
};

function concat(data: Uint8Array, tag: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.byteLength + tag.byteLength);
  out.set(data);
  out.set(tag, data.byteLength);
  return out;
}
