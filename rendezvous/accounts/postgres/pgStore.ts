// Accounts and sessions in PostgreSQL (cluster mode): every node reads and writes the same rows.
// The same rules as the NeDB store: names unique by usernameKey (a column computed here, unique
// index), look-alike names refused (user_skeletons), one account per device key (primary key),
// session tokens stored only as SHA-256 hashes with their expiry, every acknowledged write
// committed before the answer. The database unreachable: STORE_UNAVAILABLE (503), never a crash.

import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type pg from 'pg';
import { ChatError } from '../../../shared/errors';
import { usernameKey, usernameKeys } from '../../../shared/accountRules';
import { PG_CONNECT_TIMEOUT_MS, PG_POOL_MAX, PG_QUERY_TIMEOUT_MS, SESSION_TTL_MS, SESSIONS_PER_ACCOUNT_MAX } from '../../../shared/limits';
import type { DeviceKeyRecord } from '../deviceKeys';
import type { DeviceRecord } from '../devices';
import { hashToken, isWellFormedToken, newSessionToken } from '../sessionToken';
import { usernameSkeletons } from '../skeleton';
import type { AccountStore, NewSession, NewUser, Session, SessionRepository, UserRecord, UserRepository } from '../store';
import { databaseUnavailable, isUniqueViolation } from './errors';
import { inTransaction, migrate } from './schema';

/** pg is loaded when a store is opened: a single node with NeDB never pays for it at start. */
const require = createRequire(import.meta.url);

/** Advisory lock key held by a registration while it checks names and inserts ("name" in ASCII). */
const REGISTRATION_LOCK = 0x6e616d65;
/** Expired sessions are deleted this often (ms). */
const PURGE_INTERVAL_MS = 60 * 60 * 1000;

interface UserRow {
  id: string;
  username: string;
  key: string;
  display_name: string;
  bio: string;
  password_hash: string;
  password_nfkc: boolean | null;
  created_at: string;
  devices: DeviceRecord[] | null;
  device_keys: DeviceKeyRecord[] | null;
}

const USER_COLUMNS = `u.id, u.username, u.key, u.display_name, u.bio, u.password_hash, u.password_nfkc, u.created_at, u.devices,
  (SELECT json_agg(json_build_object('publicKey', k.public_key, 'boundAt', k.bound_at) ORDER BY k.bound_at DESC, k.public_key)
     FROM device_keys k WHERE k.user_id = u.id) AS device_keys`;

function toRecord(row: UserRow | undefined): UserRecord | null {
  if (!row) return null;
  const record: UserRecord = {
    id: row.id,
    username: row.username,
    key: row.key,
    displayName: row.display_name,
    bio: row.bio,
    passwordHash: row.password_hash,
    createdAt: Number(row.created_at),
  };
  if (row.password_nfkc !== null) record.passwordNfkc = row.password_nfkc;
  if (row.devices) record.devices = row.devices;
  if (row.device_keys) record.deviceKeys = row.device_keys.map((k) => ({ publicKey: k.publicKey, boundAt: Number(k.boundAt) }));
  return record;
}

/** An account id like NeDB's: 16 characters (imported accounts keep theirs: peer ids derive from them). */
export function newAccountId(): string {
  return randomBytes(12).toString('base64url');
}

class PgUsers implements UserRepository {
  constructor(
    private readonly pool: pg.Pool,
    private readonly log: (message: string) => void,
  ) {}

  private async query<R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<R[]> {
    try {
      return (await this.pool.query<R>(text, values)).rows;
    } catch (error) {
      throw databaseUnavailable(error, this.log);
    }
  }

  /** Runs `work` in one transaction; a unique violation becomes `onConflict`, any other failure STORE_UNAVAILABLE. */
  private async transaction(work: (client: pg.PoolClient) => Promise<void>, onConflict: ChatError): Promise<void> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw databaseUnavailable(error, this.log);
    }
    try {
      await inTransaction(client, () => work(client));
    } catch (error) {
      if (isUniqueViolation(error)) throw onConflict;
      throw databaseUnavailable(error, this.log);
    } finally {
      client.release();
    }
  }

  async hasLookAlike(username: string): Promise<boolean> {
    return (await this.query('SELECT 1 FROM user_skeletons WHERE skeleton = ANY($1) LIMIT 1', [usernameSkeletons(username)])).length > 0;
  }

  async findByUsername(username: string): Promise<UserRecord | null> {
    return toRecord((await this.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users u WHERE u.key = $1`, [usernameKey(username)]))[0]);
  }

  async findById(id: string): Promise<UserRecord | null> {
    return toRecord((await this.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users u WHERE u.id = $1`, [id]))[0]);
  }

  /**
   * Checks the name (taken, or too similar) and inserts under one advisory lock, so registrations
   * racing on several nodes are decided one at a time: exactly one of them gets a name.
   */
  async insert(user: NewUser, id = newAccountId(), createdAt = Date.now()): Promise<UserRecord> {
    const key = usernameKey(user.username);
    const skeletons = usernameSkeletons(user.username);
    await this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [REGISTRATION_LOCK]);
      const taken = await client.query('SELECT 1 FROM users WHERE key = ANY($1) LIMIT 1', [usernameKeys(user.username)]);
      if (taken.rowCount) throw new ChatError('USERNAME_TAKEN', 'This username is already registered.');
      const similar = await client.query('SELECT 1 FROM user_skeletons WHERE skeleton = ANY($1) LIMIT 1', [skeletons]);
      if (similar.rowCount) throw new ChatError('USERNAME_TOO_SIMILAR', 'This username is too similar to an existing name.');
      await client.query(
        'INSERT INTO users (id, username, key, display_name, bio, password_hash, password_nfkc, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
        [id, user.username, key, user.displayName, user.bio, user.passwordHash, user.passwordNfkc ?? null, createdAt],
      );
      await client.query('INSERT INTO user_skeletons (skeleton, user_id) SELECT unnest($1::text[]), $2', [skeletons, id]);
    }, new ChatError('USERNAME_TAKEN', 'This username is already registered.'));
    return { id, username: user.username, key, displayName: user.displayName, bio: user.bio, passwordHash: user.passwordHash, ...(user.passwordNfkc !== undefined ? { passwordNfkc: user.passwordNfkc } : {}), createdAt };
  }

  async setPasswordHash(id: string, passwordHash: string, nfkc: boolean): Promise<void> {
    await this.query('UPDATE users SET password_hash = $2, password_nfkc = $3 WHERE id = $1', [id, passwordHash, nfkc]);
  }

  async findByDeviceKey(publicKey: string): Promise<UserRecord | null> {
    return toRecord((await this.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users u JOIN device_keys d ON d.user_id = u.id WHERE d.public_key = $1`, [publicKey]))[0]);
  }

  /**
   * The account's row lock serializes binds of one account on every node: the keys read under it
   * are the keys written. A key another account holds is BAD_KEY (its primary key decides a race).
   */
  async addDeviceKey(id: string, key: DeviceKeyRecord, max: number): Promise<void> {
    const badKey = new ChatError('BAD_KEY', 'This device key belongs to another account.');
    await this.transaction(async (client) => {
      if (!(await client.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [id])).rowCount) return;
      const inserted = await client.query('INSERT INTO device_keys (public_key, user_id, bound_at) VALUES ($1, $2, $3) ON CONFLICT (public_key) DO NOTHING', [key.publicKey, id, key.boundAt]);
      if (!inserted.rowCount) {
        const held = await client.query('SELECT 1 FROM device_keys WHERE public_key = $1 AND user_id <> $2', [key.publicKey, id]);
        if (held.rowCount) throw badKey;
        return;
      }
      await client.query(
        'DELETE FROM device_keys WHERE public_key IN (SELECT public_key FROM device_keys WHERE user_id = $1 ORDER BY bound_at DESC, public_key OFFSET $2)',
        [id, max],
      );
    }, badKey);
  }

  async setDevices(id: string, devices: DeviceRecord[]): Promise<void> {
    await this.query('UPDATE users SET devices = $2 WHERE id = $1', [id, JSON.stringify(devices)]);
  }

  async flush(): Promise<void> {}
}

class PgSessions implements SessionRepository {
  private readonly purgeTimer: NodeJS.Timeout;

  constructor(
    private readonly pool: pg.Pool,
    private readonly ttlMs: number,
    private readonly perAccountMax: number,
    private readonly log: (message: string) => void,
  ) {
    this.purgeTimer = setInterval(() => void this.purgeExpired().catch(() => {}), PURGE_INTERVAL_MS).unref();
  }

  private async query<R extends pg.QueryResultRow>(text: string, values: unknown[]): Promise<R[]> {
    try {
      return (await this.pool.query<R>(text, values)).rows;
    } catch (error) {
      throw databaseUnavailable(error, this.log);
    }
  }

  async create(userId: string, deviceId?: string): Promise<NewSession> {
    const token = newSessionToken();
    const session: Session = { tokenHash: hashToken(token), userId, expiresAt: Date.now() + this.ttlMs, ...(deviceId ? { deviceId } : {}) };
    await this.query('INSERT INTO sessions (token_hash, user_id, expires_at, device_id) VALUES ($1, $2, $3, $4)', [session.tokenHash, userId, session.expiresAt, deviceId ?? null]);
    // The cap is tidying: the new session is written, so a failed removal does not undo the login.
    const dropped = await this.query<{ token_hash: string }>(
      `DELETE FROM sessions WHERE token_hash IN
         (SELECT token_hash FROM sessions WHERE user_id = $1 ORDER BY expires_at DESC, token_hash OFFSET $2)
       RETURNING token_hash`,
      [userId, this.perAccountMax],
    ).catch(() => []);
    return { token, session, dropped: dropped.map((r) => r.token_hash) };
  }

  async lookup(token: string): Promise<Session | null> {
    if (!isWellFormedToken(token)) return null;
    const rows = await this.query<{ token_hash: string; user_id: string; expires_at: string; device_id: string | null }>(
      'SELECT token_hash, user_id, expires_at, device_id FROM sessions WHERE token_hash = $1',
      [hashToken(token)],
    );
    const row = rows[0];
    if (!row) return null;
    const expiresAt = Number(row.expires_at);
    if (expiresAt <= Date.now()) {
      await this.query('DELETE FROM sessions WHERE token_hash = $1', [row.token_hash]).catch(() => {});
      return null;
    }
    return { tokenHash: row.token_hash, userId: row.user_id, expiresAt, ...(row.device_id ? { deviceId: row.device_id } : {}) };
  }

  async revoke(tokenHash: string): Promise<void> {
    await this.query('DELETE FROM sessions WHERE token_hash = $1', [tokenHash]);
  }

  async purgeExpired(): Promise<void> {
    await this.query('DELETE FROM sessions WHERE expires_at <= $1', [Date.now()]);
  }

  async close(): Promise<void> {
    clearInterval(this.purgeTimer);
  }
}

export interface PgStoreOptions {
  url: string;
  sessionTtlMs?: number;
  sessionsPerAccountMax?: number;
  log: (message: string) => void;
}

export interface PgAccountStore extends AccountStore {
  readonly users: UserRepository & { insert(user: NewUser, id?: string, createdAt?: number): Promise<UserRecord> };
  readonly pool: pg.Pool;
}

/** Connects, migrates the schema (versioned, idempotent) and returns the store. Throws when the database cannot be reached at start. */
export async function openPgStore(options: PgStoreOptions): Promise<PgAccountStore> {
  const { Pool } = require('pg') as typeof pg;
  const pool = new Pool({
    connectionString: options.url,
    max: PG_POOL_MAX,
    connectionTimeoutMillis: PG_CONNECT_TIMEOUT_MS,
    query_timeout: PG_QUERY_TIMEOUT_MS,
  });
  // An idle connection cut by the server (a restart) is reported here; the pool makes a new one.
  pool.on('error', (error) => options.log(`postgres: idle connection lost (${error.message})`));
  try {
    const applied = await migrate(pool);
    if (applied.length > 0) options.log(`postgres: schema migrated to version ${applied[applied.length - 1]}`);
  } catch (error) {
    await pool.end().catch(() => {});
    throw error;
  }
  const users = new PgUsers(pool, options.log);
  const sessions = new PgSessions(pool, options.sessionTtlMs ?? SESSION_TTL_MS, options.sessionsPerAccountMax ?? SESSIONS_PER_ACCOUNT_MAX, options.log);
  return {
    engine: 'postgres',
    users,
    sessions,
    pool,
    async ping() {
      await pool.query('SELECT 1');
    },
    async close() {
      await sessions.close();
      await pool.end();
    },
  };
}
