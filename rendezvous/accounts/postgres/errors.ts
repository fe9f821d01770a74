// What a PostgreSQL failure means to a client: a unique violation is the caller's to interpret;
// anything else (the server down, a connection cut, a timeout) is "the account database is
// unavailable": 503 STORE_UNAVAILABLE, logged once per kind of failure for the operator.

import { ChatError } from '../../../shared/errors';

/** SQLSTATE of a unique violation. */
export const UNIQUE_VIOLATION = '23505';

export const DATABASE_UNAVAILABLE = 'The account database cannot be reached right now. Those already in the room are not affected; try again in a moment.';

export function isUniqueViolation(error: unknown, constraint?: string): boolean {
  const e = error as { code?: string; constraint?: string };
  return e?.code === UNIQUE_VIOLATION && (constraint === undefined || e.constraint === constraint);
}

export function databaseUnavailable(error: unknown, log: (message: string) => void): ChatError {
  if (error instanceof ChatError) return error;
  const e = error as { code?: string; message?: string };
  log(`postgres: ${e?.code ? `${e.code} ` : ''}${e?.message ?? String(error)}; answering STORE_UNAVAILABLE`);
  return new ChatError('STORE_UNAVAILABLE', DATABASE_UNAVAILABLE);
}
