// Opening a NeDB file safely: a crash in the middle of an append leaves a torn last line, which
// would make NeDB refuse to start on a small file. That line was never acknowledged (the write
// resolves only after the append completes), so dropping it loses nothing.

import { open, readFile, stat, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
import Datastore from 'nedb-promises';

async function dropTornLastLine(filename: string): Promise<boolean> {
  let size: number;
  try {
    size = (await stat(filename)).size;
  } catch {
    return false; // not created yet
  }
  if (size === 0) return false;
  const text = await readFile(filename, 'utf8');
  if (text.endsWith('\n')) return false;
  const lastNewline = text.lastIndexOf('\n');
  const keepBytes = lastNewline < 0 ? 0 : Buffer.byteLength(text.slice(0, lastNewline + 1), 'utf8');
  await truncate(filename, keepBytes);
  return true;
}

export async function openDatastore(filename: string, onRepair: (message: string) => void): Promise<Datastore<any>> {
  if (await dropTornLastLine(filename)) onRepair(`${filename}: dropped a torn last line left by a crash`);
  const db = Datastore.create({ filename, autoload: false });
  await db.load();
  return db;
}

async function fsync(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Forces appended data (and the file's directory entry) to disk, so an acknowledged write survives a power cut too. */
export async function syncFile(filename: string): Promise<void> {
  await fsync(filename);
  // Some systems cannot fsync a directory (EISDIR/EPERM on Windows); the file itself is synced.
  await fsync(dirname(filename)).catch(() => {});
}
