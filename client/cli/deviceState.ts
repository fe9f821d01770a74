// The CLI's device token and device key, kept in --state-dir across runs and logouts (a browser keeps it in
// localStorage): one file per server and account, readable by its owner only. The file name is a
// hash, so no server address or user name ever becomes part of a path.

import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { exportDeviceSeed, generateDeviceKey, restoreDeviceKey, type DeviceKeyPair } from '../../shared/deviceKey';
import type { PinStorage } from '../mesh/keyPins';

function deviceFile(stateDir: string, httpBase: string, user: string): string {
  const id = createHash('sha256').update(`${httpBase} ${user.normalize('NFC').toLowerCase()}`).digest('hex').slice(0, 32);
  return path.join(stateDir, `device-${id}.token`);
}

/** The device token kept for this server and account, if any. */
export async function readDeviceToken(stateDir: string | undefined, httpBase: string, user: string): Promise<string | undefined> {
  if (!stateDir) return undefined;
  try {
    return (await readFile(deviceFile(stateDir, httpBase, user), 'utf8')).trim() || undefined;
  } catch {
    return undefined; // first login from this folder
  }
}

/** The device key kept for this server and account (made and kept on first use); without --state-dir a new one per run. */
export async function cliDeviceKey(stateDir: string | undefined, httpBase: string, user: string): Promise<DeviceKeyPair> {
  if (!stateDir) return generateDeviceKey();
  const file = deviceFile(stateDir, httpBase, user).replace(/\.token$/, '.key');
  const kept = await readFile(file, 'utf8').then((seed) => restoreDeviceKey(seed.trim()), () => null);
  if (kept) return kept;
  const key = generateDeviceKey();
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await writeFile(file, `${exportDeviceSeed(key)}\n`, { mode: 0o600 });
  return key;
}

export async function writeDeviceToken(stateDir: string | undefined, httpBase: string, user: string, token: string): Promise<void> {
  if (!stateDir) return;
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await writeFile(deviceFile(stateDir, httpBase, user), `${token}\n`, { mode: 0o600 });
}

/** Where this device pins the keys others show it (client/mesh/keyPins.ts), beside its own key; without --state-dir, nowhere (this run only). */
export function cliKeyPins(stateDir: string | undefined, httpBase: string, user: string): PinStorage | undefined {
  if (!stateDir) return undefined;
  const file = deviceFile(stateDir, httpBase, user).replace(/\.token$/, '.pins.json');
  return {
    load: () => {
      try {
        return readFileSync(file, 'utf8');
      } catch {
        return null; // nothing pinned yet
      }
    },
    save: (text) => {
      mkdirSync(stateDir, { recursive: true, mode: 0o700 });
      writeFileSync(file, text, { mode: 0o600 });
    },
  };
}
