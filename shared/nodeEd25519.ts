// Ed25519 verification with node:crypto, for Node only (the server, the CLI, tests, benchmarks):
// several times faster than the pure-JS verifier a page uses. Never imported by the browser bundle.

import { createPublicKey, verify } from 'node:crypto';
import type { DeviceVerifier } from './deviceKey';
import { DEVICE_KEY_BYTES, DEVICE_SIGNATURE_BYTES } from './limits';

export const nodeVerifyEd25519: DeviceVerifier = (publicKey, signature, message) => {
  if (publicKey.length !== DEVICE_KEY_BYTES || signature.length !== DEVICE_SIGNATURE_BYTES) return false;
  try {
    // Imported as a JWK: ~2.5x cheaper than the same key as a DER SubjectPublicKeyInfo.
    const key = createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: Buffer.from(publicKey).toString('base64url') }, format: 'jwk' });
    return verify(null, message, key, signature);
  } catch {
    return false; // not a point of the curve
  }
};
