// npm run import-users -- --db users.db --postgres-url postgres://...: copies a single node's NeDB
// accounts and sessions into PostgreSQL before it joins a cluster (accounts/postgres/importNedb.ts).

import { existsSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { parsePostgresUrl } from './config';
import { importNedb } from './accounts/postgres/importNedb';
import { openPgStore } from './accounts/postgres/pgStore';

const USAGE = `usage: npm run import-users -- --db FILE --postgres-url URL
  Copies the accounts (ids, password hashes, devices, device keys) and live sessions of a NeDB
  user store into PostgreSQL. Accounts already there (same id or name) are left as they are, so it
  can be run again. Stop the single node first: NeDB is not to be read while a server writes it.`;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { db: { type: 'string' }, 'postgres-url': { type: 'string' }, help: { type: 'boolean', short: 'h' } } });
  if (values.help || !values.db || !values['postgres-url']) {
    process.stdout.write(`${USAGE}\n`);
    process.exitCode = values.help ? 0 : 1;
    return;
  }
  const dbPath = path.resolve(values.db);
  if (!existsSync(dbPath)) throw new Error(`${dbPath}: no such file`);
  const url = parsePostgresUrl(values['postgres-url'])!;
  const log = (message: string) => process.stderr.write(`import-users: ${message}\n`);
  const store = await openPgStore({ url, log });
  try {
    const report = await importNedb(dbPath, store, log);
    process.stdout.write(`imported ${report.users} accounts and ${report.sessions} sessions from ${dbPath}\n`);
    if (report.skipped.length > 0) process.stdout.write(`already in PostgreSQL (left as they are): ${report.skipped.join(', ')}\n`);
  } finally {
    await store.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`import-users: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
