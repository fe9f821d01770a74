// A device's session key: an X25519 key made for one Mesh (one page load, one CLI run), never
// stored, signed by the device key so a peer can tell it belongs to that device. Relayed frames are
// encrypted with keys derived from both sides' session keys (forward secrecy: a device key stolen
// later opens no recorded traffic) and from both device keys (pairKeys.ts).

import { x25519 } from '@noble/curves/ed25519.js';
import { decodeBase64url, encodeBase64url } from '../base64url';
import { signWithDevice, verifyDeviceSignature, type DeviceKeyPair, type DeviceVerifier } from '../deviceKey';
import { SESSION_KEY_BYTES } from '../limits';

export interface SessionKeyPair {
  secretKey: Uint8Array;
  /** base64url, 43 chars: sent in `auth`, carried in presence. */
  publicKey: string;
  /** The device key's signature over sessionKeyProofBytes(publicKey) (base64url, 86 chars). */
  proof: string;
}

const encoder = new TextEncoder();

/** What a device key signs to vouch for a session key. */
export function sessionKeyProofBytes(sessionKey: string): Uint8Array {
  return encoder.encode(`chatroom-session-key-v1\u0000${sessionKey}`);
}

export function generateSessionKey(device: DeviceKeyPair): SessionKeyPair {
  const { secretKey, publicKey } = x25519.keygen();
  const text = encodeBase64url(publicKey);
  return { secretKey, publicKey: text, proof: encodeBase64url(signWithDevice(device, sessionKeyProofBytes(text))) };
}

/** The 32 bytes of a peer's session key when its device key signed it; null otherwise. */
export function verifiedSessionKey(deviceKey: string, sessionKey: string, proof: string, verify: DeviceVerifier = verifyDeviceSignature): Uint8Array | null {
  const device = decodeBase64url(deviceKey);
  const session = decodeBase64url(sessionKey);
  const signature = decodeBase64url(proof);
  if (!device || !session || !signature || session.byteLength !== SESSION_KEY_BYTES) return null;
  return verify(device, signature, sessionKeyProofBytes(sessionKey)) ? session : null;
}

/** The `auth` fields that announce a session key. */
export function sessionAuth(session: SessionKeyPair): { sessionKey: string; sessionProof: string } {
  return { sessionKey: session.publicKey, sessionProof: session.proof };
}
