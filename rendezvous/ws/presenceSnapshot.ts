// The saved room of a single node: who was online, so that after a restart (even a kill -9) its
// members are presumed online while they come back (presumedPeers.ts). One file of a fixed name next
// to the account store, never a path from user input; written whole to a temporary file, flushed to
// disk, then renamed over the old one, so a crash leaves the old or the new file, never half of one.
// It holds names, display names, peer ids, device and session public keys, account ids and session
// token hashes (as the session store does): no message, no password hash, no token.
//
// Read back with a size cap, each entry validated like a message from the network; a file that is
// too old, too big or unreadable is ignored (the room starts empty, as before this existed).

import { open, readFile, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { PRESENCE_SNAPSHOT_MAX_AGE_MS, PRESENCE_SNAPSHOT_MAX_BYTES, PRESENCE_SNAPSHOT_PEERS_MAX } from '../../shared/limits';
import { parsePeerInfo } from '../../shared/protocol';
import type { SavedPeer } from './presumedPeers';

/** The file's name, in the folder of the account store. */
export const SNAPSHOT_FILE_NAME = 'presence.json';
/** Format of the file; another number is ignored. */
const SNAPSHOT_FORMAT = 1;
const TOKEN_HASH_PATTERN = /^[0-9a-f]{64}$/;
const USER_ID_MAX_CHARS = 128;

export function snapshotPath(dbPath: string): string {
  return path.join(path.dirname(dbPath), SNAPSHOT_FILE_NAME);
}

/** Writes the room atomically (temporary file, fsync, rename); owner-only permissions. */
export async function writeSnapshot(file: string, peers: readonly SavedPeer[], now = Date.now()): Promise<void> {
  const temporary = `${file}.tmp`;
  const handle = await open(temporary, 'w', 0o600);
  try {
    await handle.writeFile(JSON.stringify({ format: SNAPSHOT_FORMAT, savedAt: now, peers }));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temporary, file);
}

/** The saved room, or [] when there is none usable; `problem` hears why a file was ignored. */
export async function readSnapshot(file: string, problem: (why: string) => void, now = Date.now()): Promise<SavedPeer[]> {
  try {
    const size = (await stat(file)).size;
    if (size > PRESENCE_SNAPSHOT_MAX_BYTES) {
      problem(`${SNAPSHOT_FILE_NAME} is ${size} bytes, over ${PRESENCE_SNAPSHOT_MAX_BYTES}: ignored`);
      return [];
    }
    const parsed = JSON.parse(await readFile(file, 'utf8')) as { format?: unknown; savedAt?: unknown; peers?: unknown };
    if (parsed.format !== SNAPSHOT_FORMAT || typeof parsed.savedAt !== 'number' || !Array.isArray(parsed.peers)) throw new Error('not a saved room');
    if (now - parsed.savedAt > PRESENCE_SNAPSHOT_MAX_AGE_MS || parsed.savedAt > now + PRESENCE_SNAPSHOT_MAX_AGE_MS) return [];
    return parsed.peers.slice(0, PRESENCE_SNAPSHOT_PEERS_MAX).map(savedPeer);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') problem(`${SNAPSHOT_FILE_NAME} ignored: ${error instanceof Error ? error.message : String(error)}`);
    return [];
  }
}

/** Removes the saved room (a server that saves none must not leave an old one behind). */
export async function removeSnapshot(file: string): Promise<void> {
  await unlink(file).catch(() => {});
}

function savedPeer(value: unknown): SavedPeer {
  const entry = value as { info?: unknown; userId?: unknown; tokenHash?: unknown } | null;
  if (typeof entry !== 'object' || entry === null) throw new Error('an entry is not an object');
  const { userId, tokenHash } = entry;
  if (typeof userId !== 'string' || userId.length === 0 || userId.length > USER_ID_MAX_CHARS) throw new Error('bad account id');
  if (typeof tokenHash !== 'string' || !TOKEN_HASH_PATTERN.test(tokenHash)) throw new Error('bad token hash');
  return { info: parsePeerInfo(entry.info), userId, tokenHash };
}
