// The PostgreSQL schema, as numbered migrations applied at start: each runs once, in order, in
// one transaction with the version it brings; nodes starting together wait on an advisory lock,
// so a migration never runs twice. Never edit a migration that has shipped: add the next one.

import type { Pool, PoolClient } from 'pg';

/** Advisory lock key held while migrating (any constant; "chat" in ASCII). */
const MIGRATION_LOCK = 0x63686174;

export const MIGRATIONS: readonly string[] = [
  // 1: accounts, their look-alike skeletons, device keys (one account per key) and sessions.
  `CREATE TABLE users (
     id text PRIMARY KEY,
     username text NOT NULL,
     -- usernameKey() of accountRules.ts, computed in JS (lower() and citext differ on ß and dotless i)
     key text NOT NULL UNIQUE,
     display_name text NOT NULL,
     bio text NOT NULL,
     password_hash text NOT NULL,
     password_nfkc boolean,
     created_at bigint NOT NULL,
     devices jsonb
   );
   CREATE TABLE user_skeletons (
     skeleton text NOT NULL,
     user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE
   );
   CREATE INDEX user_skeletons_skeleton ON user_skeletons (skeleton);
   CREATE TABLE device_keys (
     public_key text PRIMARY KEY,
     user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
     bound_at bigint NOT NULL
   );
   CREATE INDEX device_keys_user ON device_keys (user_id);
   CREATE TABLE sessions (
     -- SHA-256 of the token: the token itself is never stored
     token_hash text PRIMARY KEY,
     user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
     expires_at bigint NOT NULL,
     device_id text
   );
   CREATE INDEX sessions_user ON sessions (user_id);
   CREATE INDEX sessions_expiry ON sessions (expires_at);`,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

async function inTransaction<T>(client: PoolClient, work: () => Promise<T>): Promise<T> {
  await client.query('BEGIN');
  try {
    const result = await work();
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {});
    throw error;
  }
}

/** Brings the database to SCHEMA_VERSION; returns the versions applied now (none when up to date). */
export async function migrate(pool: Pool): Promise<number[]> {
  const client = await pool.connect();
  try {
    return await inTransaction(client, async () => {
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
      await client.query('CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)');
      const { rows } = await client.query<{ version: number }>('SELECT max(version) AS version FROM schema_version');
      const current = rows[0]?.version ?? 0;
      if (current > SCHEMA_VERSION) throw new Error(`the database schema is version ${current}, newer than this server's ${SCHEMA_VERSION}: update the server`);
      const applied: number[] = [];
      for (let version = current + 1; version <= SCHEMA_VERSION; version++) {
        await client.query(MIGRATIONS[version - 1]);
        await client.query('INSERT INTO schema_version (version) VALUES ($1)', [version]);
        applied.push(version);
      }
      return applied;
    });
  } finally {
    client.release();
  }
}

export { inTransaction };
