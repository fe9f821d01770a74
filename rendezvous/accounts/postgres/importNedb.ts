// Copies a NeDB account store (users.db and users.db.sessions) into PostgreSQL, for moving a single
// node to cluster mode. Account ids are kept (peer ids derive from them), and so are hashes,
// devices, device keys and live sessions (users stay logged in). Run it again and it adds only what
// is missing: a row already there (same id, same key, same token hash) is left alone.

import type Datastore from 'nedb-promises';
import { openDatastore } from '../nedbFile';
import { usernameSkeletons } from '../skeleton';
import type { DeviceKeyRecord } from '../deviceKeys';
import type { DeviceRecord } from '../devices';
import type { PgAccountStore } from './pgStore';
import { inTransaction } from './schema';

interface UserDoc {
  _id: string;
  username: string;
  key: string;
  displayName: string;
  bio: string;
  passwordHash: string;
  passwordNfkc?: boolean;
  createdAt: number;
  devices?: DeviceRecord[];
  deviceKeys?: DeviceKeyRecord[];
}

interface SessionDoc {
  tokenHash: string;
  userId: string;
  expiresAt: number;
  deviceId?: string;
}

export interface ImportReport {
  users: number;
  skipped: string[];
  sessions: number;
}

async function readAll<T>(db: Datastore<any>): Promise<T[]> {
  return (await db.find({})) as T[];
}

export async function importNedb(dbPath: string, store: PgAccountStore, log: (message: string) => void): Promise<ImportReport> {
  const users = await readAll<UserDoc>(await openDatastore(dbPath, log));
  const sessions = await openDatastore(`${dbPath}.sessions`, log).then(readAll<SessionDoc>, () => [] as SessionDoc[]);
  const report: ImportReport = { users: 0, skipped: [], sessions: 0 };
  const client = await store.pool.connect();
  try {
    for (const user of users) {
      const added = await inTransaction(client, async () => {
        const inserted = await client.query(
          `INSERT INTO users (id, username, key, display_name, bio, password_hash, password_nfkc, created_at, devices)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
          [user._id, user.username, user.key, user.displayName, user.bio ?? '', user.passwordHash, user.passwordNfkc ?? null, user.createdAt ?? 0, user.devices ? JSON.stringify(user.devices) : null],
        );
        if (!inserted.rowCount) return false;
        await client.query('INSERT INTO user_skeletons (skeleton, user_id) SELECT unnest($1::text[]), $2', [usernameSkeletons(user.username), user._id]);
        for (const key of user.deviceKeys ?? []) {
          await client.query('INSERT INTO device_keys (public_key, user_id, bound_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING', [key.publicKey, user._id, key.boundAt]);
        }
        return true;
      });
      if (added) report.users++;
      else report.skipped.push(user.username);
    }
    const now = Date.now();
    for (const session of sessions) {
      if (session.expiresAt <= now) continue;
      const inserted = await client.query(
        `INSERT INTO sessions (token_hash, user_id, expires_at, device_id)
         SELECT $1, $2, $3, $4 WHERE EXISTS (SELECT 1 FROM users WHERE id = $2) ON CONFLICT DO NOTHING`,
        [session.tokenHash, session.userId, session.expiresAt, session.deviceId ?? null],
      );
      report.sessions += inserted.rowCount ?? 0;
    }
  } finally {
    client.release();
  }
  return report;
}
