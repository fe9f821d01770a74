import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { normalizePassword, usernameKey, usernameKeys, validateBio, validateDisplayName, validatePassword, validateUsername } from '../shared/accountRules';
import { ChatError } from '../shared/errors';

function rejects(fn: () => unknown, code: string): void {
  assert.throws(fn, (e: unknown) => e instanceof ChatError && e.code === code);
}

test('usernames: letters of any script, digits, _ - .; NFC', () => {
  for (const ok of ['alice', '张伟', 'Ünïcödé', 'джон', 'a.b-c_d', '1', 'a'.repeat(32), '伟'.repeat(32)]) assert.is(validateUsername(ok), ok.normalize('NFC'));
  assert.is(validateUsername('Cafe\u0301'), 'Caf\u00e9');
  for (const bad of ['', 'a'.repeat(33), 'a b', 'a/b', 'a\\b', '../x'.replace('.', '/'), 'a\u0000b', 'a\u200bb', '😀', 'a@b', undefined, 42, null]) {
    rejects(() => validateUsername(bad), 'INVALID_USERNAME');
  }
});

test('usernames, PRECIS-style: width-mapped, no compatibility, invisible or stacked characters', () => {
  assert.is(validateUsername('\uFF41\uFF4C\uFF49\uFF43\uFF45'), 'alice', 'fullwidth letters are width-mapped');
  for (const bad of ['\u{1D41A}lice', '\uFB01sh', '\u01C5ak', '\u3164', 'a\u3164b', '\u0301a', `a${'\u0301'.repeat(6)}`, 'a\ud800', 'a\u1100', 'a\uE000']) {
    rejects(() => validateUsername(bad), 'INVALID_USERNAME');
  }
  assert.is(validateUsername('Vi\u1EC7t'), 'Vi\u1EC7t');
  assert.is(validateUsername(`a${'\u0301'.repeat(5)}`), `\u00e1${'\u0301'.repeat(4)}`, 'NFC composes the first mark; 4 stay');
  assert.is(validateUsername('\u1100\u1161'), '\uAC00', 'conjoining jamo compose to a syllable');
  assert.equal(usernameKeys('STRA\u1E9EE'), [usernameKey('STRA\u1E9EE'), usernameKey('stra\u00dfe')]);
});

test('passwords are hashed as NFKC', () => {
  assert.is(normalizePassword('cafe\u0301'), 'caf\u00e9');
  assert.is(normalizePassword('\uFF11\uFF12'), '12');
  rejects(() => validatePassword('password\ud800'), 'INVALID_PASSWORD');
});

test('display names, RFC 8266-style: spaces mapped and collapsed, NFKC, something visible', () => {
  assert.is(validateDisplayName('Zo\u00eb\u00a0\u3000 Smith'), 'Zo\u00eb Smith');
  assert.is(validateDisplayName('\uFF21lice'), 'Alice');
  for (const bad of ['\u3164', '\u2800', '\u2800\u2800 \u2800', `A${'\u0301'.repeat(63)}`, '\uFDFD'.repeat(3), '\ud800', '\u0301x', 'a\u200db']) {
    rejects(() => validateDisplayName(bad), 'INVALID_DISPLAY_NAME');
  }
  assert.is(validateDisplayName('\uFDFD'), '\uFDFD', 'one is a greeting');
});

test('usernameKey: case-insensitive and normalization-insensitive', () => {
  assert.is(usernameKey('Alice'), usernameKey('aLICE'));
  assert.is(usernameKey('Cafe\u0301'), usernameKey('CAF\u00c9'));
  assert.is(usernameKey('张伟'), '张伟');
  assert.is.not(usernameKey('alice'), usernameKey('alice2'));
});

test('passwords: 8..1024 code points, kept as typed', () => {
  assert.is(validatePassword('12345678'), '12345678');
  assert.is(validatePassword('密码密码密码密码'), '密码密码密码密码');
  assert.is(validatePassword(' spaces '), ' spaces ');
  rejects(() => validatePassword('1234567'), 'INVALID_PASSWORD');
  rejects(() => validatePassword('x'.repeat(1025)), 'INVALID_PASSWORD');
  rejects(() => validatePassword(undefined), 'INVALID_PASSWORD');
});

test('display name and bio', () => {
  assert.is(validateDisplayName('  Zhang Wei  '), 'Zhang Wei');
  rejects(() => validateDisplayName('   '), 'INVALID_DISPLAY_NAME');
  rejects(() => validateDisplayName('d'.repeat(65)), 'INVALID_DISPLAY_NAME');
  rejects(() => validateDisplayName('evil\u202e'), 'INVALID_DISPLAY_NAME');
  assert.is(validateBio(undefined), '');
  assert.is(validateBio('line one\nline two'), 'line one\nline two');
  rejects(() => validateBio('b'.repeat(281)), 'INVALID_BIO');
  rejects(() => validateBio(5), 'INVALID_BIO');
  rejects(() => validateBio('bell\u0007'), 'INVALID_BIO');
});

test.run();
