// Which writing systems a user name mixes (UTS #39 section 5.1, "mixed-script detection"): the
// online list marks "аlice" (Cyrillic а, Latin lice) so it cannot pass for "alice". Each letter's
// Script_Extensions are intersected over the name, Common and Inherited (digits, _ - ., combining
// marks) fitting any script, and Han, Hiragana, Katakana, Hangul and Bopomofo augmented as UTS #39
// says (Japanese and Korean names mix them legitimately). Scripts not listed below count as one
// "other" script: a name mixing two of them is not marked.

const SCRIPTS = [
  'Latin', 'Greek', 'Cyrillic', 'Armenian', 'Georgian', 'Cherokee', 'Hebrew', 'Arabic', 'Syriac', 'Thaana',
  'Devanagari', 'Bengali', 'Gurmukhi', 'Gujarati', 'Oriya', 'Tamil', 'Telugu', 'Kannada', 'Malayalam', 'Sinhala',
  'Thai', 'Lao', 'Tibetan', 'Myanmar', 'Khmer', 'Ethiopic', 'Mongolian',
  'Han', 'Hiragana', 'Katakana', 'Hangul', 'Bopomofo',
] as const;

const TESTS = SCRIPTS.map((name) => [name, new RegExp(`\\p{Script_Extensions=${name}}`, 'u')] as const);
const COMMON_OR_INHERITED = /^[\p{Script=Common}\p{Script=Inherited}]$/u;
/** UTS #39 augmented script sets: Jpan = Han+Hiragana+Katakana, Kore = Han+Hangul, Hanb = Han+Bopomofo. */
const AUGMENTED: Record<string, string[]> = {
  Han: ['Han', 'Jpan', 'Kore', 'Hanb'],
  Hiragana: ['Jpan'],
  Katakana: ['Jpan'],
  Hangul: ['Kore'],
  Bopomofo: ['Hanb'],
};

/** The scripts of one character (augmented), or null for Common/Inherited characters, which fit any. */
function scriptSet(char: string): Set<string> | null {
  if (COMMON_OR_INHERITED.test(char)) return null;
  const set = new Set<string>();
  for (const [name, test] of TESTS) if (test.test(char)) for (const s of AUGMENTED[name] ?? [name]) set.add(s);
  return set.size > 0 ? set : new Set(['other']);
}

/**
 * The scripts a name mixes, in order of first use (e.g. ["Cyrillic", "Latin"]), or [] when one
 * script (or one with its usual companions) can write the whole name.
 */
export function mixedScripts(name: string): string[] {
  let common = null as Set<string> | null;
  const seen: string[] = [];
  for (const char of name) {
    const set = scriptSet(char);
    if (!set) continue;
    const first = [...set][0];
    if (!seen.includes(first) && ![...set].some((s) => seen.includes(s))) seen.push(first);
    common = common === null ? set : new Set([...common].filter((s) => set.has(s)));
  }
  return common !== null && common.size === 0 ? seen : [];
}
