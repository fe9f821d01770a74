// The one place the UI creates a transport. In the browser the global WebSocket and
// RTCPeerConnection are used, so only the address and the token are passed.

import type { KeptEntry, Mesh } from '../../mesh/api';
import { createMesh } from '../../mesh/index';
import { exportDeviceSeed, generateDeviceKey, restoreDeviceKey, type DeviceKeyPair } from '../../../shared/deviceKey';
import { storage } from '../storage';

export function createBrowserMesh(serverUrl: string, token: string, deviceKey: DeviceKeyPair, keptHistory?: () => Promise<KeptEntry[]>): Mesh {
  return createMesh({ serverUrl, token, deviceKey, keptHistory });
}

/** This browser's device key for the account: kept where the session is kept, made on first use. */
export function browserDeviceKey(origin: string, username: string): DeviceKeyPair {
  const seed = storage.deviceKeySeed(origin, username);
  const kept = seed ? restoreDeviceKey(seed) : null;
  if (kept) return kept;
  const key = generateDeviceKey();
  storage.setDeviceKeySeed(origin, username, exportDeviceSeed(key));
  return key;
}
