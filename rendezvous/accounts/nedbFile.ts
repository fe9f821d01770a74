// Opening and writing a NeDB file safely.
// - A crash in the middle of an append leaves a torn last line, which would make NeDB refuse to
//   start on a small file. That line was never acknowledged (the write resolves only after the
//   append completes), so dropping it loses nothing.
// - An append that fails (disk full, read-only file) may still have written part of a line; the
//   file is cut back to its size before the append, or the next append would be glued to that
//   fragment and its acknowledged document lost at the next load. The failure becomes a
//   STORE_UNAVAILABLE ChatError (HTTP 503).
// - NeDB puts a new document in memory before appending it: WriteGate and insertOrRollBack make
//   sure a document whose write failed is gone from memory before anyone can read it.

import { chmod, open, readFile, stat, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
import Datastore from 'nedb-promises';
import { ChatError } from '../../shared/errors';

/** The parts of the underlying @seald-io/nedb Datastore that nedb-promises does not type. */
interface NedbInternals {
  compactDatafileAsync(): Promise<void>;
  persistence: { persistNewStateAsync(docs: object[]): Promise<void> };
}

function internals(db: Datastore<any>): NedbInternals {
  return (db as unknown as { __original: NedbInternals }).__original;
}

async function sizeOf(filename: string): Promise<number | undefined> {
  try {
    return (await stat(filename)).size;
  } catch {
    return undefined; // not created yet
  }
}

async function dropTornLastLine(filename: string): Promise<boolean> {
  const size = await sizeOf(filename);
  if (!size) return false;
  const text = await readFile(filename, 'utf8');
  if (text.endsWith('\n')) return false;
  const lastNewline = text.lastIndexOf('\n');
  const keepBytes = lastNewline < 0 ? 0 : Buffer.byteLength(text.slice(0, lastNewline + 1), 'utf8');
  await truncate(filename, keepBytes);
  return true;
}

export function storeUnavailable(filename: string, error: unknown, log: (message: string) => void): ChatError {
  if (error instanceof ChatError) return error;
  log(`${filename}: write failed (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); answering STORE_UNAVAILABLE`);
  return new ChatError('STORE_UNAVAILABLE', 'The server cannot save data right now (its storage is full or read-only). Try again later.');
}

/** Every append NeDB makes (insert, update, remove, index) goes through here. */
function guardAppends(db: Datastore<any>, filename: string, log: (message: string) => void): void {
  const persistence = internals(db).persistence;
  const append = persistence.persistNewStateAsync.bind(persistence);
  persistence.persistNewStateAsync = async (docs) => {
    const sizeBefore = await sizeOf(filename);
    try {
      await append(docs);
    } catch (error) {
      if (sizeBefore !== undefined) await truncate(filename, sizeBefore).catch(() => {});
      throw storeUnavailable(filename, error, log);
    }
  };
}

/**
 * Mode of the store files: owner only. They hold password hashes and session-token hashes; NeDB's
 * own default (0644) let every local user read them. NeDB applies it to the file it creates and to
 * each compaction's new file.
 */
export const STORE_FILE_MODE = 0o600;

/**
 * A store file readable or writable by others is made owner-only (the owner's own bits kept: a
 * read-only file stays so), with a warning. Returns the mode the store's files are to have: its
 * owner bits when it exists, so the rewrite NeDB makes at every load and compaction does not turn a
 * file the operator made read-only writable again; STORE_FILE_MODE for a new store.
 */
async function restrictMode(filename: string, log: (message: string) => void): Promise<number> {
  let mode: number;
  try {
    mode = (await stat(filename)).mode & 0o777;
  } catch {
    return STORE_FILE_MODE; // not created yet: NeDB creates it with this mode
  }
  const ownerOnly = mode & 0o700;
  if ((mode & 0o077) === 0) return ownerOnly;
  await chmod(filename, ownerOnly);
  log(`${filename}: was mode ${mode.toString(8)} (open to other users); changed to ${ownerOnly.toString(8).padStart(3, '0')}`);
  return ownerOnly;
}

export async function openDatastore(filename: string, log: (message: string) => void): Promise<Datastore<any>> {
  const fileMode = await restrictMode(filename, log);
  if (await dropTornLastLine(filename)) log(`${filename}: dropped a torn last line left by a crash`);
  const db = Datastore.create({ filename, autoload: false, modes: { fileMode } } as Parameters<typeof Datastore.create>[0]);
  await db.load();
  guardAppends(db, filename, log);
  return db;
}

/** Rewrites the file as one line per live document (NeDB writes a temp file, syncs it and renames it). */
export function compactDatastore(db: Datastore<any>): Promise<void> {
  return internals(db).compactDatafileAsync();
}

/** Serializes a store's writes and holds its reads back while a write (and its rollback) is in progress. */
export class WriteGate {
  private settled: Promise<unknown> = Promise.resolve();

  write<T>(operation: () => Promise<T>): Promise<T> {
    const result = this.settled.then(operation);
    this.settled = result.catch(() => {});
    return result;
  }

  async read<T>(operation: () => Promise<T>): Promise<T> {
    await this.settled;
    return operation();
  }
}

/**
 * Inserts `doc`; when it cannot be written, removes it from memory again (found by `uniqueQuery`,
 * a query on a unique field) before the gate lets anyone read. NeDB's remove takes the document
 * out of memory before it appends, so the rollback works even when that append fails too.
 */
export function insertOrRollBack<T extends object>(db: Datastore<any>, gate: WriteGate, doc: T, uniqueQuery: Partial<T>): Promise<T & { _id: string }> {
  return gate.write(async () => {
    try {
      return (await db.insert(doc)) as T & { _id: string };
    } catch (error) {
      if (error instanceof ChatError && error.code === 'STORE_UNAVAILABLE') await db.remove(uniqueQuery, { multi: false }).catch(() => {});
      throw error;
    }
  });
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
