// A device's signing key (Ed25519): one per browser profile or CLI state directory of an account.
// Pure JS (@noble/curves) because a page at http://<LAN IP> has no crypto.subtle; Node callers
// may inject node:crypto's Ed25519 for speed (DeviceVerifier), as MeshOptions.sha256 does for hashing.

import { ed25519 } from '@noble/curves/ed25519.js';
import { ChatError } from './errors';
import { decodeBase64url, encodeBase64url } from './base64url';
import { DEVICE_KEY_BYTES, DEVICE_SIGNATURE_BYTES } from './limits';

export interface DeviceKeyPair {
  /** 32-byte seed; never leaves the device. */
  secretKey: Uint8Array;
  /** 32-byte public key, as sent to the server and shown to peers (base64url, 43 chars). */
  publicKey: string;
  /** Signs with this key by other means than the pure-JS default (withSigner: node:crypto in Node). */
  sign?: (message: Uint8Array) => Uint8Array;
}

/** Verifies an Ed25519 signature; the default is pure JS, Node may pass node:crypto's. */
export type DeviceVerifier = (publicKey: Uint8Array, signature: Uint8Array, message: Uint8Array) => boolean;
/** Makes an Ed25519 signature with `key` (the same bytes as the pure-JS one: Ed25519 is deterministic). */
export type DeviceSigner = (key: DeviceKeyPair, message: Uint8Array) => Uint8Array;

/** `key`, signing through `signer` from now on. */
export function withSigner(key: DeviceKeyPair, signer: DeviceSigner | undefined): DeviceKeyPair {
  if (!signer) return key;
  const plain = { secretKey: key.secretKey, publicKey: key.publicKey };
  return { ...plain, sign: (message) => signer(plain, message) };
}

export function generateDeviceKey(): DeviceKeyPair {
  const { secretKey, publicKey } = ed25519.keygen();
  return { secretKey, publicKey: encodeBase64url(publicKey) };
}

/** The key pair of a stored seed (base64url), or null when the seed is unusable (a new device then). */
export function restoreDeviceKey(seed: string): DeviceKeyPair | null {
  const secretKey = decodeBase64url(seed);
  if (!secretKey || secretKey.length !== DEVICE_KEY_BYTES) return null;
  return { secretKey, publicKey: encodeBase64url(ed25519.getPublicKey(secretKey)) };
}

export function exportDeviceSeed(key: DeviceKeyPair): string {
  return encodeBase64url(key.secretKey);
}

/** The 32 bytes of a public key, not checked to be a point of the curve; throws ChatError BAD_KEY otherwise. */
export function publicKeyBytes(text: unknown): Uint8Array {
  const bytes = typeof text === 'string' && text.length <= 64 ? decodeBase64url(text) : null;
  if (!bytes || bytes.length !== DEVICE_KEY_BYTES) throw new ChatError('BAD_KEY', 'a device key is 32 bytes of base64url');
  return bytes;
}

/** The 32 bytes of a public key that decodes to a point of the curve; throws ChatError BAD_KEY otherwise. */
export function parsePublicKey(text: unknown): Uint8Array {
  const bytes = publicKeyBytes(text);
  try {
    ed25519.Point.fromBytes(bytes);
  } catch {
    throw new ChatError('BAD_KEY', 'the device key is not a point of Ed25519');
  }
  return bytes;
}

/**
 * What a client signs to bind its device key to its account: the session token the server issued
 * at login (a random 256-bit nonce of this server's, good for this account only), so a proof is
 * worth nothing without the token it was made for.
 */
export function deviceProofBytes(sessionToken: string): Uint8Array {
  return new TextEncoder().encode(`chatroom-device-proof-v1\u0000${sessionToken}`);
}

/** The auth message's device fields: the public key and its proof for this session token. */
export function deviceAuth(key: DeviceKeyPair, sessionToken: string): { deviceKey: string; proof: string } {
  return { deviceKey: key.publicKey, proof: encodeBase64url(signWithDevice(key, deviceProofBytes(sessionToken))) };
}

export function signWithDevice(key: DeviceKeyPair, message: Uint8Array): Uint8Array {
  return key.sign ? key.sign(message) : ed25519.sign(message, key.secretKey);
}

export const verifyDeviceSignature: DeviceVerifier = (publicKey, signature, message) => {
  if (signature.length !== DEVICE_SIGNATURE_BYTES) return false;
  try {
    return ed25519.verify(signature, message, publicKey);
  } catch {
    return false;
  }
};

/**
 * Does one signature and one verification with a throwaway key, so the curve's precomputed tables
 * exist before the first message: the first verification in a page costs several times a later one
 * (~45 ms against ~2-5 ms measured here), which a newcomer's history would otherwise wait for.
 */
export function warmUpDeviceCrypto(): void {
  const key = generateDeviceKey();
  const message = new Uint8Array(32);
  verifyDeviceSignature(decodeBase64url(key.publicKey)!, signWithDevice(key, message), message);
}
