// Session tokens: 256 random bits handed to the client once; every store keeps only their SHA-256
// hash (a stolen sessions file or table cannot be replayed).

import { createHash, randomBytes } from 'node:crypto';
import { SESSION_TOKEN_BYTES } from '../../shared/limits';

const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function newSessionToken(): string {
  return randomBytes(SESSION_TOKEN_BYTES).toString('base64url');
}

/** False for a string that no issued token can be (looked up without touching the store). */
export function isWellFormedToken(token: string): boolean {
  return TOKEN_PATTERN.test(token);
}
