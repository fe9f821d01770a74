// node:crypto's ChaCha20-Poly1305 for Node callers of the mesh (MeshOptions.aead): native, several
// times faster than the pure-JS one pages use (shared/e2e/aead.ts), and the same bytes on the wire.

import { createCipheriv, createDecipheriv } from 'node:crypto';
import { AEAD_TAG_BYTES } from '../../shared/limits';
import type { Aead } from '../../shared/e2e/aead';

const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/**
 * node:crypto returns every update's output in new memory. Fed a 256 KiB payload at once, that is a
 * fresh 256 KiB block per payload (over glibc's mmap threshold: new zero pages, a fault per 4 KiB),
 * which cost far more than the cipher on this 2-core machine under load (3-400 ms per 5 MiB against
 * 2-10 ms in 16 KiB slices, whose blocks the heap reuses). The output is copied back in place.
 */
const UPDATE_SLICE_BYTES = 16 * 1024;

/** Encrypts `data` in place, slice by slice. */
function encryptInPlace(cipher: { update(data: Buffer): Buffer }, data: Uint8Array): void {
  const buffer = asBuffer(data);
  for (let at = 0; at < buffer.byteLength; at += UPDATE_SLICE_BYTES) data.set(cipher.update(buffer.subarray(at, at + UPDATE_SLICE_BYTES)), at);
}

export const nodeAead: Aead = {
  seal(key, nonce, aad, data, tag) {
    const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: AEAD_TAG_BYTES });
    cipher.setAAD(aad, { plaintextLength: data.byteLength });
    encryptInPlace(cipher, data);
    cipher.final();
    tag.set(cipher.getAuthTag());
  },
  open(key, nonce, aad, data, tag) {
    const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: AEAD_TAG_BYTES });
    decipher.setAAD(aad, { plaintextLength: data.byteLength });
    decipher.setAuthTag(tag);
    // Written over the ciphertext only once the tag checked out (final).
    const buffer = asBuffer(data);
    const plain: Buffer[] = [];
    for (let at = 0; at < buffer.byteLength; at += UPDATE_SLICE_BYTES) plain.push(decipher.update(buffer.subarray(at, at + UPDATE_SLICE_BYTES)));
    try {
      decipher.final();
    } catch {
      return false;
    }
    let at = 0;
    for (const part of plain) {
      data.set(part, at);
      at += part.byteLength;
    }
    return true;
  },
};
