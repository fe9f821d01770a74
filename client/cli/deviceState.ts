// The CLI's device token, kept in --state-dir across runs and logouts (a browser keeps it in
// localStorage): one file per server and account, readable by its owner only. The file name is a
// hash, so no server address or user name ever becomes part of a path.

import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

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

export async function writeDeviceToken(stateDir: string | undefined, httpBase: string, user: string, token: string): Promise<void> {
  if (!stateDir) return;
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await writeFile(deviceFile(stateDir, httpBase, user), `${token}\n`, { mode: 0o600 });
}
