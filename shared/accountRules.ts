// Account field rules, shared by the registration form and the server.
// Each validator returns the cleaned value or throws a ChatError naming what is wrong.

import { ChatError } from './errors';
import {
  BIO_MAX_CHARS,
  DISPLAY_NAME_MAX_CHARS,
  DISPLAY_NAME_WIDE_CHARS_MAX,
  NAME_MARKS_PER_BASE_MAX,
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
/** Code points that draw nothing though they are not spaces (Unicode's Default_Ignorable_Code_Point, e.g. U+3164 HANGUL FILLER). */
const DEFAULT_IGNORABLE = /\p{Default_Ignorable_Code_Point}/u;
/** Unassigned and private-use code points: nobody can tell what they show. */
const UNASSIGNED_OR_PRIVATE = /[\p{Cn}\p{Co}]/u;
/**
 * PRECIS IdentifierClass (RFC 8264 9.1) disallows, beyond what USERNAME_PATTERN already keeps out:
 * titlecase letters (Lt, e.g. "ǅ"), old Hangul Jamo (U+1100-11FF, PRECIS "OldHangulJamo").
 */
const USERNAME_DISALLOWED = /[\p{Lt}\u1100-\u11FF]/u;
/** Symbols that are blank though neither a space nor default-ignorable (U+2800 BRAILLE PATTERN BLANK). */
const BLANK_SYMBOLS = /\u2800/gu;
/** A character that shows something: a letter, digit, punctuation or symbol. */
const VISIBLE = /[\p{L}\p{N}\p{P}\p{S}]/u;
const MARK = /\p{M}/u;
/** Characters that draw several letters wide with no NFKC expansion (see DISPLAY_NAME_WIDE_CHARS_MAX). */
const VERY_WIDE = /[\uFDFD-\uFDFF\u2E3A\u2E3B\u{12000}-\u{1254F}]/gu;

function codePoints(value: string): number {
  let count = 0;
  for (const _ of value) count++;
  return count;
}

/**
 * The width mapping of PRECIS (RFC 8264 9.11): fullwidth and halfwidth forms (U+FF01-FFEF) become
 * their ordinary forms ("ａｌｉｃｅ" -> "alice"). Other compatibility characters are refused, not mapped.
 */
function widthMapped(value: string): string {
  return value.replace(/[\uFF01-\uFFEF]/gu, (char) => char.normalize('NFKC'));
}

/** Most combining marks in a row after one base character; throws when over NAME_MARKS_PER_BASE_MAX. */
function checkCombiningMarks(name: string, code: 'INVALID_USERNAME' | 'INVALID_DISPLAY_NAME', what: string): void {
  let run = 0;
  let first = true;
  for (const char of name) {
    if (!MARK.test(char)) {
      run = 0;
      first = false;
      continue;
    }
    if (first) throw new ChatError(code, `${what} must not start with a combining mark.`);
    if (++run > NAME_MARKS_PER_BASE_MAX) throw new ChatError(code, `${what} stacks more than ${NAME_MARKS_PER_BASE_MAX} marks on one character.`);
  }
}

/**
 * A new user name, after RFC 8265's UsernameCaseMapped preparation (width mapping, NFC; the case is
 * kept for display and folded in usernameKey): letters of any script, their marks, digits and _ - .,
 * with no compatibility characters ("𝐚", "ﬁ"), no invisible ones, at most
 * NAME_MARKS_PER_BASE_MAX marks on a letter, and not starting with a mark.
 */
export function validateUsername(value: unknown): string {
  if (typeof value !== 'string') throw new ChatError('INVALID_USERNAME', 'Username is required.');
  if (LONE_SURROGATE.test(value)) throw new ChatError('INVALID_USERNAME', 'Username is not valid text.');
  const name = widthMapped(value).normalize('NFC');
  const length = codePoints(name);
  if (length < USERNAME_MIN_CHARS || length > USERNAME_MAX_CHARS) {
    throw new ChatError('INVALID_USERNAME', `Username must be ${USERNAME_MIN_CHARS}-${USERNAME_MAX_CHARS} characters.`);
  }
  if (!USERNAME_PATTERN.test(name) || USERNAME_DISALLOWED.test(name) || DEFAULT_IGNORABLE.test(name) || UNASSIGNED_OR_PRIVATE.test(name)) {
    throw new ChatError('INVALID_USERNAME', 'Username may contain only letters, digits, "_", "-" and ".".');
  }
  for (const char of name) {
    if (char.normalize('NFKC') !== char) throw new ChatError('INVALID_USERNAME', `Username may not contain the compatibility character "${char}": type the plain letter or digit.`);
  }
  checkCombiningMarks(name, 'INVALID_USERNAME', 'Username');
  return name;
}

/**
 * The account key a login names, or null when the name could not be an account (wrong type, too
 * long, characters no user name ever had): such a name never becomes a throttle key. Checked with
 * the rules every stored account was registered under, so every old account still logs in.
 */
export function loginUsernameKey(value: string): string | null {
  if (LONE_SURROGATE.test(value)) return null;
  const name = widthMapped(value).normalize('NFC');
  const length = codePoints(name);
  if (length < USERNAME_MIN_CHARS || length > USERNAME_MAX_CHARS || !USERNAME_PATTERN.test(name)) return null;
  return usernameKey(name);
}

/**
 * The key uniqueness is enforced on: NFC, case-folded (so "Alice" and "alice" are one account).
 * Stored with every account: it must never change, or old accounts could no longer log in.
 */
export function usernameKey(username: string): string {
  return username.normalize('NFC').toUpperCase().toLowerCase().normalize('NFC');
}

/**
 * The keys a new name must not share with an account: its own, and that of its lower-case form
 * ("STRAẞE" folds to "straße" while "straße" folds to "strasse": both are one name to a reader).
 */
export function usernameKeys(username: string): string[] {
  const keys = new Set([usernameKey(username), usernameKey(username.toLowerCase())]);
  return [...keys];
}

export function validatePassword(value: unknown): string {
  if (typeof value !== 'string') throw new ChatError('INVALID_PASSWORD', 'Password is required.');
  if (LONE_SURROGATE.test(value)) throw new ChatError('INVALID_PASSWORD', 'Password is not valid text.');
  const length = codePoints(value);
  if (length < PASSWORD_MIN_CHARS || length > PASSWORD_MAX_CHARS) {
    throw new ChatError('INVALID_PASSWORD', `Password must be ${PASSWORD_MIN_CHARS}-${PASSWORD_MAX_CHARS} characters.`);
  }
  return value;
}

/**
 * What a password is hashed as: NFKC, as NIST SP 800-63B 5.1.1.2 asks, so "café" typed with a
 * precomposed or a decomposed é, or a fullwidth digit from an IME, is the same password.
 */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

/**
 * A display name, prepared as RFC 8266 (nicknames) says: other spaces become U+0020, NFKC, trimmed,
 * runs of spaces collapsed. Refused: control, format and default-ignorable characters, unassigned
 * and private-use ones, names that show nothing (U+3164 or U+2800 alone), lone surrogates, more than
 * NAME_MARKS_PER_BASE_MAX marks on one character, and names over DISPLAY_NAME_MAX_CHARS after NFKC
 * (64 x U+FDFA expands to over 1,000), and more than DISPLAY_NAME_WIDE_CHARS_MAX very wide
 * characters that do not expand (64 x U+FDFD).
 */
export function validateDisplayName(value: unknown): string {
  if (typeof value !== 'string') throw new ChatError('INVALID_DISPLAY_NAME', 'Display name is required.');
  if (LONE_SURROGATE.test(value)) throw new ChatError('INVALID_DISPLAY_NAME', 'Display name is not valid text.');
  const name = value.replace(/\p{Zs}/gu, ' ').normalize('NFKC').trim().replace(/ {2,}/g, ' ');
  const length = codePoints(name);
  if (length < 1 || length > DISPLAY_NAME_MAX_CHARS) {
    throw new ChatError('INVALID_DISPLAY_NAME', `Display name must be 1-${DISPLAY_NAME_MAX_CHARS} characters.`);
  }
  if (CONTROL_CHARS.test(name) || DEFAULT_IGNORABLE.test(name) || UNASSIGNED_OR_PRIVATE.test(name)) {
    throw new ChatError('INVALID_DISPLAY_NAME', 'Display name contains control or invisible characters.');
  }
  if (!VISIBLE.test(name.replace(BLANK_SYMBOLS, ''))) throw new ChatError('INVALID_DISPLAY_NAME', 'Display name must show at least one letter, digit or symbol.');
  checkCombiningMarks(name, 'INVALID_DISPLAY_NAME', 'Display name');
  if ((name.match(VERY_WIDE)?.length ?? 0) > DISPLAY_NAME_WIDE_CHARS_MAX) throw new ChatError('INVALID_DISPLAY_NAME', `Display name has more than ${DISPLAY_NAME_WIDE_CHARS_MAX} very wide characters.`);
  return name;
}

export function validateBio(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value !== 'string') throw new ChatError('INVALID_BIO', 'Bio must be text.');
  const bio = value.normalize('NFC').trim();
  if (codePoints(bio) > BIO_MAX_CHARS) throw new ChatError('INVALID_BIO', `Bio must be at most ${BIO_MAX_CHARS} characters.`);
  if (LONE_SURROGATE.test(bio) || /[\p{Cc}\p{Cf}]/u.test(bio.replace(/\n/g, ''))) throw new ChatError('INVALID_BIO', 'Bio contains control characters.');
  return bio;
}
