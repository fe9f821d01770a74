// Account field rules, shared by the registration form and the server.
// Each validator returns the cleaned value or throws a ChatError naming what is wrong.

import { ChatError } from './errors';
import {
  BIO_MAX_CHARS,
  DISPLAY_NAME_MAX_CHARS,
  PASSWORD_MAX_CHARS,
  PASSWORD_MIN_CHARS,
  USERNAME_MAX_CHARS,
  USERNAME_MIN_CHARS,
} from './limits';

/** Letters of any script (with their combining marks), digits, and _ - . */
const USERNAME_PATTERN = /^[\p{L}\p{M}\p{Nd}_.-]+$/u;
/** Control and invisible formatting characters never belong in a name or bio (newline allowed in bio). */
const CONTROL_CHARS = /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u;
/** Half of a UTF-16 surrogate pair without its other half (JSON can carry one): never text. */
const LONE_SURROGATE = /\p{Cs}/u;

function codePoints(value: string): number {
  let count = 0;
  for (const _ of value) count++;
  return count;
}

export function validateUsername(value: unknown): string {
  if (typeof value !== 'string') throw new ChatError('INVALID_USERNAME', 'Username is required.');
  const name = value.normalize('NFC');
  const length = codePoints(name);
  if (length < USERNAME_MIN_CHARS || length > USERNAME_MAX_CHARS) {
    throw new ChatError('INVALID_USERNAME', `Username must be ${USERNAME_MIN_CHARS}-${USERNAME_MAX_CHARS} characters.`);
  }
  if (!USERNAME_PATTERN.test(name)) {
    throw new ChatError('INVALID_USERNAME', 'Username may contain only letters, digits, "_", "-" and ".".');
  }
  return name;
}

/**
 * The account key a login names, or null when the name could not be an account (wrong type, too
 * long, characters no user name ever had): such a name never becomes a throttle key. Checked with
 * the rules every stored account was registered under, so every old account still logs in.
 */
export function loginUsernameKey(value: string): string | null {
  if (LONE_SURROGATE.test(value)) return null;
  const name = value.normalize('NFC');
  const length = codePoints(name);
  if (length < USERNAME_MIN_CHARS || length > USERNAME_MAX_CHARS || !USERNAME_PATTERN.test(name)) return null;
  return usernameKey(name);
}

/** The key uniqueness is enforced on: NFC, case-folded (so "Alice" and "alice" are one account). */
export function usernameKey(username: string): string {
  return username.normalize('NFC').toUpperCase().toLowerCase().normalize('NFC');
}

export function validatePassword(value: unknown): string {
  if (typeof value !== 'string') throw new ChatError('INVALID_PASSWORD', 'Password is required.');
  const length = codePoints(value);
  if (length < PASSWORD_MIN_CHARS || length > PASSWORD_MAX_CHARS) {
    throw new ChatError('INVALID_PASSWORD', `Password must be ${PASSWORD_MIN_CHARS}-${PASSWORD_MAX_CHARS} characters.`);
  }
  return value;
}

export function validateDisplayName(value: unknown): string {
  if (typeof value !== 'string') throw new ChatError('INVALID_DISPLAY_NAME', 'Display name is required.');
  const name = value.normalize('NFC').trim();
  const length = codePoints(name);
  if (length < 1 || length > DISPLAY_NAME_MAX_CHARS) {
    throw new ChatError('INVALID_DISPLAY_NAME', `Display name must be 1-${DISPLAY_NAME_MAX_CHARS} characters.`);
  }
  if (CONTROL_CHARS.test(name)) throw new ChatError('INVALID_DISPLAY_NAME', 'Display name contains control characters.');
  return name;
}

export function validateBio(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new ChatError('INVALID_BIO', 'Bio must be text.');
  const bio = value.normalize('NFC').trim();
  if (codePoints(bio) > BIO_MAX_CHARS) throw new ChatError('INVALID_BIO', `Bio must be at most ${BIO_MAX_CHARS} characters.`);
  if (/[\p{Cc}\p{Cf}]/u.test(bio.replace(/\n/g, ''))) throw new ChatError('INVALID_BIO', 'Bio contains control characters.');
  return bio;
}
