// Sessions in a NeDB file: each token stored only as its SHA-256 hash (sessionToken.ts), with an
// expiry. Persisted next to the user db so that
// clients reconnect with the same token after a server restart. A session that cannot be written
// answers STORE_UNAVAILABLE and leaves no token behind.

import { rename } from 'node:fs/promises';
import type Datastore from 'nedb-promises';
import { SESSION_TTL_MS, SESSIONS_PER_ACCOUNT_MAX } from '../../shared/limits';
import { compactDatastore, insertOrRollBack, openDatastore, WriteGate } from './nedbFile';
import { hashToken, isWellFormedToken, newSessionToken } from './sessionToken';
import type { NewSession, Session, SessionRepository } from './store';

export type { NewSession, Session } from './store';
export { hashToken } from './sessionToken';

/** Expired sessions are swept this often (ms). */
const PURGE_INTERVAL_MS = 60 * 60 * 1000;
/** After a logout could not be written: how often the file is rewritten without that session until it works (ms). */
const REWRITE_RETRY_MS = 10_000;

export class SessionStore implements SessionRepository {
  private readonly purgeTimer: NodeJS.Timeout;
  private rewriteTimer: NodeJS.Timeout | undefined;
  private readonly gate = new WriteGate();

  private constructor(
    private readonly db: Datastore<any>,
    private readonly ttlMs: number,
    private readonly rewriteRetryMs: number,
    private readonly perAccountMax: number,
  ) {
    this.purgeTimer = setInterval(() => void this.purgeExpired().catch(() => {}), PURGE_INTERVAL_MS).unref();
  }

  static async open(
    filename: string,
    ttlMs: number = SESSION_TTL_MS,
    log: (message: string) => void = () => {},
    rewriteRetryMs = REWRITE_RETRY_MS,
    perAccountMax = SESSIONS_PER_ACCOUNT_MAX,
  ): Promise<SessionStore> {
    let db: Datastore<any>;
    try {
      db = await openDatastore(filename, log);
    } catch (error) {
      // Sessions are disposable (users log in again), unlike accounts: keep the file aside and start empty.
      const aside = `${filename}.corrupt-${Date.now()}`;
      await rename(filename, aside);
      log(`${filename}: unreadable (${(error as Error).message}); moved to ${aside}, everyone must log in again`);
      db = await openDatastore(filename, log);
    }
    await db.ensureIndex({ fieldName: 'tokenHash', unique: true });
    await db.ensureIndex({ fieldName: 'userId' });
    const store = new SessionStore(db, ttlMs, rewriteRetryMs, perAccountMax);
    await store.purgeExpired();
    const trimmed = await store.trimAll();
    if (trimmed > 0) log(`${filename}: revoked ${trimmed} sessions above ${perAccountMax} per account`);
    return store;
  }

  async create(userId: string, deviceId?: string): Promise<NewSession> {
    const token = newSessionToken();
    const session: Session = { tokenHash: hashToken(token), userId, expiresAt: Date.now() + this.ttlMs, ...(deviceId ? { deviceId } : {}) };
    await insertOrRollBack(this.db, this.gate, { ...session }, { tokenHash: session.tokenHash });
    // The cap is tidying: the new session is written, so a failed removal does not undo the login.
    const dropped = await this.trimAccount(userId).catch(() => []);
    return { token, session, dropped };
  }

  /** Revokes an account's oldest sessions beyond the cap; returns their token hashes. */
  private trimAccount(userId: string): Promise<string[]> {
    return this.gate.write(async () => {
      const docs = (await this.db.find({ userId })) as Session[];
      if (docs.length <= this.perAccountMax) return [];
      // Every session lives ttlMs, so the earliest expiry is the oldest login.
      docs.sort((a, b) => a.expiresAt - b.expiresAt);
      const dropped = docs.slice(0, docs.length - this.perAccountMax).map((d) => d.tokenHash);
      await this.db.remove({ tokenHash: { $in: dropped } }, { multi: true });
      return dropped;
    });
  }

  /** At load: every account's sessions down to the cap (the file may predate it). */
  private async trimAll(): Promise<number> {
    const docs = (await this.db.find({})) as Session[];
    const perUser = new Map<string, number>();
    for (const doc of docs) perUser.set(doc.userId, (perUser.get(doc.userId) ?? 0) + 1);
    let trimmed = 0;
    for (const [userId, count] of perUser) if (count > this.perAccountMax) trimmed += (await this.trimAccount(userId)).length;
    if (trimmed > 0) await this.gate.write(() => compactDatastore(this.db)).catch(() => {});
    return trimmed;
  }

  /** The live session of a token, or null (unknown, malformed or expired). */
  async lookup(token: string): Promise<Session | null> {
    if (!isWellFormedToken(token)) return null;
    const tokenHash = hashToken(token);
    const doc = await this.gate.read(async () => (await this.db.findOne({ tokenHash })) as Session | null);
    if (!doc) return null;
    if (doc.expiresAt <= Date.now()) {
      // Only tidying: the periodic purge retries if the store cannot be written now.
      await this.gate.write(() => this.db.remove({ tokenHash }, { multi: false })).catch(() => {});
      return null;
    }
    return { tokenHash: doc.tokenHash, userId: doc.userId, expiresAt: doc.expiresAt, ...(doc.deviceId ? { deviceId: doc.deviceId } : {}) };
  }

  async revoke(tokenHash: string): Promise<void> {
    try {
      await this.gate.write(() => this.db.remove({ tokenHash }, { multi: false }));
    } catch (error) {
      // NeDB took the session out of memory before the append failed, so it is revoked now, but the
      // file still holds it and a restart would bring it back: rewrite the file without it, retrying.
      this.rewriteUntilWritten();
      throw error;
    }
  }

  private rewriteUntilWritten(): void {
    if (this.rewriteTimer) return;
    this.rewriteTimer = setInterval(() => {
      void this.gate.write(() => compactDatastore(this.db)).then(
        () => {
          clearInterval(this.rewriteTimer);
          this.rewriteTimer = undefined;
        },
        () => {}, // still unwritable: next time
      );
    }, this.rewriteRetryMs).unref();
  }

  async purgeExpired(): Promise<void> {
    await this.gate.write(async () => {
      const removed = await this.db.remove({ expiresAt: { $lte: Date.now() } }, { multi: true });
      // Tidying only: the removals are already appended, so a failed compaction loses nothing.
      if (removed > 0) await compactDatastore(this.db).catch(() => {});
    });
  }

  /** Stops the purge timer and writes the file out compacted. */
  async close(): Promise<void> {
    clearInterval(this.purgeTimer);
    clearInterval(this.rewriteTimer);
    await this.gate.write(() => compactDatastore(this.db));
  }
}
