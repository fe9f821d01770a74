// The default account store: two NeDB files, <user_db> and <user_db>.sessions, one process only.

import { SESSION_TTL_MS } from '../../shared/limits';
import { SessionStore } from './sessions';
import type { AccountStore } from './store';
import { UserStore } from './userStore';

export interface NedbStoreOptions {
  dbPath: string;
  sessionTtlMs?: number;
  sessionsPerAccountMax?: number;
  log: (message: string) => void;
}

export async function openNedbStore(options: NedbStoreOptions): Promise<AccountStore> {
  const users = await UserStore.open(options.dbPath, options.log);
  const sessions = await SessionStore.open(`${options.dbPath}.sessions`, options.sessionTtlMs ?? SESSION_TTL_MS, options.log, undefined, options.sessionsPerAccountMax);
  return {
    engine: 'nedb',
    users,
    sessions,
    async ping() {},
    async close() {
      // Every acknowledged write is already in the files; compacting leaves clean, synced ones.
      for (const done of [users.flush(), sessions.close()]) await done.catch((error: unknown) => options.log(`flush at shutdown: ${(error as Error).message}`));
    },
  };
}
