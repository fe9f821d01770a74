// X25519 with node:crypto for Node callers of the mesh (MeshOptions.x25519): native, where the pure-JS
// ladder a page uses cost a room-of-50 peer ~16 ms per agreement on this 2-core machine (two per pair).

import { createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from 'node:crypto';
import type { X25519 } from '../../shared/e2e/index';

/** DER prefix (RFC 8410) of an X25519 PKCS#8 private key: the 32 raw bytes follow. */
const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

/** A mesh agrees with its own two secrets only (device and session): their key objects are kept. */
const privateKeys = new WeakMap<Uint8Array, KeyObject>();

function privateKeyOf(secretKey: Uint8Array): KeyObject {
  let key = privateKeys.get(secretKey);
  if (!key) privateKeys.set(secretKey, (key = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, secretKey]), format: 'der', type: 'pkcs8' })));
  return key;
}

export const nodeX25519: X25519 = (secretKey, publicKey) => {
  // A JWK is imported ~9x faster than the same key in DER (OpenSSL 3's decoders: 15 against 139 us here).
  const peer = createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString('base64url') }, format: 'jwk' });
  // OpenSSL refuses an all-zero result (a small-order point), as the pure-JS one does.
  return new Uint8Array(diffieHellman({ privateKey: privateKeyOf(secretKey), publicKey: peer }));
};
