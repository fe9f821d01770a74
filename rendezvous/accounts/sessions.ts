// Session tokens: 256 random bits handed to the client once, stored only as a SHA-256 hash (a
// stolen sessions file cannot be replayed), with an expiry. Persisted next to the user db so that
// clients reconnect with the same token after a server restart. A session that cannot be written
// answers STORE_UNAVAILABLE and leaves no token behind.

import { createHash, randomBytes } from 'node:crypto';
import { rename } from 'node:fs/promises';
import type Datastore from 'nedb-promises';
import { SESSION_TOKEN_BYTES, SESSION_TTL_MS } from '../../shared/limits';
import { compactDatastore, insertOrRollBack, openDatastore, WriteGate } from './nedbFile';

export interface Session {
  tokenHash: string;
  userId: string;
  expiresAt: number;
}

export interface NewSession {
  token: string;
  session: Session;
}

/** Expired sessions are swept this often (ms). */
const PURGE_INTERVAL_MS = 60 * 60 * 1000;
/** After a logout could not be written: how often the file is rewritten without that session until it works (ms). */
const REWRITE_RETRY_MS = 10_000;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export class SessionStore {
  private readonly purgeTimer: NodeJS.Timeout;
  private rewriteTimer: NodeJS.Timeout | undefined;
  private readonly gate = new WriteGate();

  private constructor(
    private readonly db: Datastore<any>,
    private readonly ttlMs: number,
    private readonly rewriteRetryMs: number,
  ) {
    this.purgeTimer = setInterval(() => void this.purgeExpired().catch(() => {}), PURGE_INTERVAL_MS).unref();
  }

  static async open(filename: string, ttlMs: number = SESSION_TTL_MS, log: (message: string) => void = () => {}, rewriteRetryMs = REWRITE_RETRY_MS): Promise<SessionStore> {
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
    const store = new SessionStore(db, ttlMs, rewriteRetryMs);
    await store.purgeExpired();
    return store;
  }

  async create(userId: string): Promise<NewSession> {
    const token = randomBytes(SESSION_TOKEN_BYTES).toString('base64url');
    const session: Session = { tokenHash: hashToken(token), userId, expiresAt: Date.now() + this.ttlMs };
    await insertOrRollBack(this.db, this.gate, { ...session }, { tokenHash: session.tokenHash });
    return { token, session };
  }

  /** The live session of a token, or null (unknown, malformed or expired). */
  async lookup(token: string): Promise<Session | null> {
    if (!TOKEN_PATTERN.test(token)) return null;
    const tokenHash = hashToken(token);
    const doc = await this.gate.read(async () => (await this.db.findOne({ tokenHash })) as Session | null);
    if (!doc) return null;
    if (doc.expiresAt <= Date.now()) {
      // Only tidying: the periodic purge retries if the store cannot be written now.
      await this.gate.write(() => this.db.remove({ tokenHash }, { multi: false })).catch(() => {});
      return null;
    }
    return { tokenHash: doc.tokenHash, userId: doc.userId, expiresAt: doc.expiresAt };
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
