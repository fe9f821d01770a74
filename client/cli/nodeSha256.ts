// node:crypto's SHA-256 for Node callers of the mesh (MeshOptions.sha256): incremental and native,
// so an image is hashed chunk by chunk as it goes out and comes in (~0.6 ms per MiB), where
// WebCrypto can only hash the whole at the end (and first copies it).

import { createHash } from 'node:crypto';
import type { Sha256Hasher } from '../../shared/sha256';

export function nodeSha256(): Sha256Hasher {
  const hash = createHash('sha256');
  const hasher: Sha256Hasher = {
    update(bytes) {
      hash.update(bytes);
      return hasher;
    },
    digest: () => new Uint8Array(hash.digest()),
    digestHex: () => hash.digest('hex'),
  };
  return hasher;
}
