// node:crypto's ChaCha20-Poly1305 for Node callers of the mesh (MeshOptions.aead): native, several
// times faster than the pure-JS one pages use (shared/e2e/aead.ts), and the same bytes on the wire.

import { createCipheriv, createDecipheriv } from 'node:crypto';
import { AEAD_TAG_BYTES } from '../../shared/limits';
import type { Aead } from '../../shared/e2e/aead';

const asBuffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

export const nodeAead: Aead = {
  seal(key, nonce, aad, data, tag) {
    const cipher = createCipheriv('chacha20-poly1305', key, nonce, { authTagLength: AEAD_TAG_BYTES });
    cipher.setAAD(aad, { plaintextLength: data.byteLength });
    data.set(cipher.update(asBuffer(data)));
    cipher.final();
    tag.set(cipher.getAuthTag());
  },
  open(key, nonce, aad, data, tag) {
    const decipher = createDecipheriv('chacha20-poly1305', key, nonce, { authTagLength: AEAD_TAG_BYTES });
    decipher.setAAD(aad, { plaintextLength: data.byteLength });
    decipher.setAuthTag(tag);
    const plain = decipher.update(asBuffer(data));
    try {
      decipher.final();
    } catch {
      return false;
    }
    data.set(plain);
    return true;
  },
};
