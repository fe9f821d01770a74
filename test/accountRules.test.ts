import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { usernameKey, validateBio, validateDisplayName, validatePassword, validateUsername } from '../shared/accountRules';
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
