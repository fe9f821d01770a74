// Direct links bound to device keys: each side signs the DTLS fingerprints of the SDP it sends
// with its device key, and the other side checks that signature against the device key presence
// gave for that peer before it lets the SDP near its RTCPeerConnection. A server that swaps SDPs to
// sit in the middle must swap the fingerprints, and cannot sign the new ones.

import { decodeBase64url, encodeBase64url } from '../base64url';
import { signWithDevice, verifyDeviceSignature, type DeviceKeyPair, type DeviceVerifier } from '../deviceKey';

const encoder = new TextEncoder();

/** The `a=fingerprint:` values of an SDP, normalised (lower case, single spaces), sorted, without repeats. */
export function sdpFingerprints(sdp: string): string[] {
  const found = new Set<string>();
  for (const line of sdp.split(/\r?\n/)) {
    const match = /^a=fingerprint:\s*(\S+)\s+(\S+)\s*$/i.exec(line);
    if (match) found.add(`${match[1].toLowerCase()} ${match[2].toLowerCase()}`);
  }
  return [...found].sort();
}

/** What a device signs for one SDP: the attempt, the SDP type, the receiving device and the fingerprints. */
function bindingBytes(attempt: string, type: string, toDeviceKey: string, fingerprints: readonly string[]): Uint8Array {
  return encoder.encode(`chatroom-dtls-v1\u0000${attempt}\u0000${type}\u0000${toDeviceKey}\u0000${fingerprints.join('\u0000')}`);
}

/** The signature (base64url) to send with an offer or answer; null when the SDP has no fingerprint. */
export function signSdp(device: DeviceKeyPair, attempt: string, type: string, sdp: string, toDeviceKey: string): string | null {
  const fingerprints = sdpFingerprints(sdp);
  if (fingerprints.length === 0) return null;
  return encodeBase64url(signWithDevice(device, bindingBytes(attempt, type, toDeviceKey, fingerprints)));
}

/** True when `signature` is `fromDeviceKey`'s over this SDP's fingerprints, for `ownDeviceKey`. */
export function sdpSignedBy(fromDeviceKey: string, ownDeviceKey: string, attempt: string, type: string, sdp: string, signature: unknown, verify: DeviceVerifier = verifyDeviceSignature): boolean {
  if (typeof signature !== 'string' || signature.length > 128) return false;
  const fingerprints = sdpFingerprints(sdp);
  const key = decodeBase64url(fromDeviceKey);
  const sig = decodeBase64url(signature);
  if (fingerprints.length === 0 || !key || !sig) return false;
  return verify(key, sig, bindingBytes(attempt, type, ownDeviceKey, fingerprints));
}
