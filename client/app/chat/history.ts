// Message history in IndexedDB: one database per account and server, the most recent
// HISTORY_MAX_MESSAGES / HISTORY_MAX_BYTES kept, oldest dropped first. Images are stored as Blobs.

import type { PeerInfo } from '../../../shared/protocol';
import { usernameKey } from '../../../shared/accountRules';

export const HISTORY_MAX_MESSAGES = 1_000;
export const HISTORY_MAX_BYTES = 200 * 1024 * 1024;

/** A message as the UI shows it and the history keeps it. */
export interface StoredMessage {
  id: string;
  from: PeerInfo;
  sentAt: number;
  own: boolean;
  /** Local arrival order (ms); the display and eviction order. */
  receivedAt: number;
  kind: 'text' | 'image';
  text?: string;
  name?: string;
  mime?: string;
  blob?: Blob;
  /** Bytes counted against HISTORY_MAX_BYTES. */
  size: number;
  /**
   * The author device's signature (shared/contentRecord.ts) and what it covers beyond the fields
   * above. Absent on messages stored before messages were signed: those are still shown to their
   * owner, but never passed on to other peers (nobody could verify them).
   */
  signed?: { device: string; sig: string; sha256?: string };
  /** Passed on by this peer (history from peers) rather than received from its author. */
  via?: PeerInfo;
}

const STORE = 'messages';
const BY_ARRIVAL = 'receivedAt';

/** The name is only used as a database key, never as markup. */
export function historyDatabaseName(origin: string, username: string): string {
  return `chatroom-history-${encodeURIComponent(origin)}-${encodeURIComponent(usernameKey(username))}`;
}

function promised<T>(request: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    // Request errors bubble here too; only an abort fails the transaction.
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

export class History {
  /**
   * Totals kept in memory so an add costs no scan. Another tab of the same account may write
   * too; the totals are then off until the next open, which only delays a prune.
   */
  private count = 0;
  private bytes = 0;

  private constructor(private readonly db: IDBDatabase) {}

  static async open(name: string): Promise<History> {
    const request = indexedDB.open(name, 1);
    request.onupgradeneeded = () => {
      const store = request.result.createObjectStore(STORE, { keyPath: 'id' });
      store.createIndex(BY_ARRIVAL, BY_ARRIVAL);
    };
    return new History(await promised(request));
  }

  /** All kept messages, oldest first. */
  async load(): Promise<StoredMessage[]> {
    const tx = this.db.transaction(STORE, 'readonly');
    const all = await promised(tx.objectStore(STORE).index(BY_ARRIVAL).getAll() as IDBRequest<StoredMessage[]>);
    this.count = all.length;
    this.bytes = all.reduce((sum, m) => sum + m.size, 0);
    return all;
  }

  /** Adds a message (a known id is left as it is), then drops the oldest beyond the bounds. */
  async add(message: StoredMessage): Promise<void> {
    const tx = this.db.transaction(STORE, 'readwrite');
    const request = tx.objectStore(STORE).add(message);
    let added = true;
    request.onerror = (event) => {
      // A duplicate id (ConstraintError) is not a failure: keep the transaction alive.
      added = false;
      event.preventDefault();
    };
    await done(tx);
    if (!added) return;
    this.count += 1;
    this.bytes += message.size;
    if (this.count > HISTORY_MAX_MESSAGES || this.bytes > HISTORY_MAX_BYTES) await this.prune();
  }

  private async prune(): Promise<void> {
    const tx = this.db.transaction(STORE, 'readwrite');
    const cursorRequest = tx.objectStore(STORE).index(BY_ARRIVAL).openCursor();
    cursorRequest.onsuccess = () => {
      const cursor = cursorRequest.result;
      if (!cursor || (this.count <= HISTORY_MAX_MESSAGES && this.bytes <= HISTORY_MAX_BYTES)) return;
      cursor.delete();
      this.count -= 1;
      this.bytes -= (cursor.value as StoredMessage).size;
      cursor.continue();
    };
    await done(tx);
  }

  close(): void {
    this.db.close();
  }
}
