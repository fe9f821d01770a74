// The keys one device pair uses on the relay, one per direction: HKDF-SHA256 over two X25519
// agreements, between the session keys (fresh per Mesh: forward secrecy, and counters may start
// at 1 again) and between the device keys (Ed25519 converted to X25519: only these two devices
// can compute it, whatever session keys a server hands out).

import { ed25519, x25519 } from '@noble/curves/ed25519.js';
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { decodeBase64url } from '../base64url';
import { ChatError } from '../errors';
import { AEAD_KEY_BYTES } from '../limits';

export interface PairKeys {
  /** Seals what this device sends to the peer. */
  send: Uint8Array;
  /** Opens what the peer sends to this device. */
  receive: Uint8Array;
}

/** X25519 of a secret scalar and a peer's public u-coordinate (32 bytes each); throws on a small-order point (an all-zero result). */
export type X25519 = (secretKey: Uint8Array, publicKey: Uint8Array) => Uint8Array;

/** Pure JS (@noble/curves): the page's; Node callers inject node:crypto's (client/cli/nodeX25519.ts). */
export const nobleX25519: X25519 = (secretKey, publicKey) => x25519.getSharedSecret(secretKey, publicKey);

export interface OwnKeys {
  /** The device's Ed25519 secret converted to X25519 once (ownKeys), not per pair. */
  deviceAgreementSecret: Uint8Array;
  deviceKey: string;
  sessionSecret: Uint8Array;
  sessionKey: string;
}

export function ownKeys(device: { secretKey: Uint8Array; publicKey: string }, session: { secretKey: Uint8Array; publicKey: string }): OwnKeys {
  return { deviceAgreementSecret: ed25519.utils.toMontgomerySecret(device.secretKey), deviceKey: device.publicKey, sessionSecret: session.secretKey, sessionKey: session.publicKey };
}

const encoder = new TextEncoder();
const SALT = encoder.encode('chatroom-e2e-v1');

function directionInfo(fromDevice: string, fromSession: string, toDevice: string, toSession: string): Uint8Array {
  return encoder.encode(`relay\u0000${fromDevice}\u0000${fromSession}\u0000${toDevice}\u0000${toSession}`);
}

/** Throws ChatError BAD_KEY when a key of the peer is unusable (a small-order point, bad encoding). */
export function derivePairKeys(own: OwnKeys, peerDeviceKey: string, peerSessionKey: Uint8Array, peerSessionText: string, agree: X25519 = nobleX25519): PairKeys {
  const peerDevice = decodeBase64url(peerDeviceKey);
  if (!peerDevice) throw new ChatError('BAD_KEY', 'device key is not base64url');
  let ikm: Uint8Array;
  try {
    const sessions = agree(own.sessionSecret, peerSessionKey);
    const devices = agree(own.deviceAgreementSecret, ed25519.utils.toMontgomery(peerDevice));
    ikm = new Uint8Array(sessions.byteLength + devices.byteLength);
    ikm.set(sessions);
    ikm.set(devices, sessions.byteLength);
  } catch (err) {
    throw new ChatError('BAD_KEY', `no key agreement with that peer: ${(err as Error).message}`);
  }
  return {
    send: hkdf(sha256, ikm, SALT, directionInfo(own.deviceKey, own.sessionKey, peerDeviceKey, peerSessionText), AEAD_KEY_BYTES),
    receive: hkdf(sha256, ikm, SALT, directionInfo(peerDeviceKey, peerSessionText, own.deviceKey, own.sessionKey), AEAD_KEY_BYTES),
  };
}

/**
 * One agreement with throwaway keys, so a page's first relayed frame does not also pay for compiling
 * the curve code (the first pure-JS X25519 costs several times a later one).
 */
export function warmUpPairKeys(): void {
  const { secretKey } = x25519.keygen();
  nobleX25519(secretKey, ed25519.utils.toMontgomery(ed25519.keygen().publicKey));
}
