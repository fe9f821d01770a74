// Device keys bound to accounts: a socket proves it holds its device's Ed25519 key by signing its
// session token (shared/deviceKey.ts deviceProofBytes), and the server keeps the public key with
// the account, so peers can check what that device signs, also after it has gone offline. A key
// belongs to one account only. Verified with node:crypto (pure JS is for pages without it).

import { ChatError } from '../../shared/errors';
import { decodeBase64url } from '../../shared/base64url';
import { deviceProofBytes, publicKeyBytes } from '../../shared/deviceKey';
import { DEVICE_KEYS_PER_ACCOUNT_MAX, DEVICE_SIGNATURE_BYTES } from '../../shared/limits';
import { nodeVerifyEd25519 } from '../../shared/nodeEd25519';

export interface DeviceKeyRecord {
  /** base64url, 32 bytes. */
  publicKey: string;
  boundAt: number;
}

/** Throws ChatError BAD_KEY unless `proof` is `publicKey`'s signature over this session token. */
export function checkDeviceProof(publicKey: string, proof: string, sessionToken: string): void {
  // Whether the key is a point of the curve is left to node:crypto's verify, which decodes it and
  // verifies nothing for a key that is not: the pure-JS check (parsePublicKey) cost ~0.5 ms, the
  // largest part of a socket's authentication when thousands resume after a restart.
  const key = publicKeyBytes(publicKey);
  const signature = decodeBase64url(proof);
  if (!signature || signature.length !== DEVICE_SIGNATURE_BYTES) throw new ChatError('BAD_KEY', 'the device proof is not a signature');
  if (!nodeVerifyEd25519(key, signature, deviceProofBytes(sessionToken))) throw new ChatError('BAD_KEY', 'the device proof does not match the device key');
}

/** The account's keys with `publicKey` bound (first), past the cap the least recently bound dropped; null when already bound. */
export function withDeviceKey(keys: readonly DeviceKeyRecord[] | undefined, publicKey: string, now = Date.now(), max = DEVICE_KEYS_PER_ACCOUNT_MAX): DeviceKeyRecord[] | null {
  if (keys?.some((k) => k.publicKey === publicKey)) return null;
  return [{ publicKey, boundAt: now }, ...(keys ?? [])].slice(0, max);
}
