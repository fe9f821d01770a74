// Names people cannot confuse and passwords that do not depend on how a character was typed
// (issue 15, rows 2, 5 and 8): PRECIS-style user and display names, UTS #39 skeletons, NFKC passwords.

import argon2 from 'argon2';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { ARGON2_OPTIONS } from '../rendezvous/accounts/passwordHasher';
import { Accounts } from '../rendezvous/accounts/accounts';
import { LoginThrottle } from '../rendezvous/accounts/loginThrottle';
import { RegistrationThrottle } from '../rendezvous/accounts/registrationThrottle';
import { usernameSkeletons } from '../rendezvous/accounts/skeleton';
import { usernameKey } from '../shared/accountRules';
import { mixedScripts } from '../shared/scriptMix';
import { NAME_MARKS_PER_BASE_MAX } from '../shared/limits';
import { postJson, startTestServer, DEFAULT_PASSWORD, type TestServer } from './helpers/server';

const test = suite('unicode: names and passwords');

async function register(server: TestServer, username: string, displayName = 'Alice', password = DEFAULT_PASSWORD): Promise<{ status: number; code?: string }> {
  const res = await postJson(`${server.httpUrl}/api/register`, { username, password, displayName });
  const body = (await res.json()) as { error?: { code: string } };
  return { status: res.status, code: body.error?.code };
}

async function loginStatus(server: TestServer, username: string, password: string): Promise<number> {
  const res = await postJson(`${server.httpUrl}/api/login`, { username, password });
  await res.body?.cancel();
  return res.status;
}

test('look-alike user names are refused while the original exists (row 2)', async () => {
  const server = await startTestServer();
  try {
    assert.equal(await register(server, 'alice'), { status: 201, code: undefined });
    assert.equal(await register(server, '\u0430lice'), { status: 409, code: 'USERNAME_TOO_SIMILAR' }, 'Cyrillic а');
    assert.equal(await register(server, 'al\u0456ce'), { status: 409, code: 'USERNAME_TOO_SIMILAR' }, 'Ukrainian і');
    assert.equal(await register(server, 'AIice'), { status: 409, code: 'USERNAME_TOO_SIMILAR' }, 'capital i for l');
    assert.equal(await register(server, '\u{1D41A}lice'), { status: 400, code: 'INVALID_USERNAME' }, 'mathematical bold a: a compatibility character');
    assert.equal(await register(server, '\uFF41\uFF4C\uFF49\uFF43\uFF45'), { status: 409, code: 'USERNAME_TAKEN' }, 'fullwidth: width-mapped to alice');
    assert.equal(await register(server, 'stra\u00dfe'), { status: 201, code: undefined });
    assert.equal(await register(server, 'stra\u1e9ee'), { status: 409, code: 'USERNAME_TAKEN' }, 'capital sharp s');
    assert.equal(await register(server, `a${'\u0301'.repeat(31)}`), { status: 400, code: 'INVALID_USERNAME' }, 'a + 31 combining marks');
    assert.equal(await register(server, 'bob'), { status: 201, code: undefined }, 'an unrelated name is fine');
    assert.equal(await register(server, 'b0b'), { status: 409, code: 'USERNAME_TOO_SIMILAR' }, 'digit zero for o');
  } finally {
    await server.stop();
  }
});

test('invisible or disruptive display names are refused (row 5)', async () => {
  const server = await startTestServer();
  try {
    const bad: Array<[string, string]> = [
      ['\u3164', 'HANGUL FILLER alone'],
      ['\u2800', 'BRAILLE PATTERN BLANK alone'],
      [`A${'\u0301'.repeat(63)}`, 'A + 63 combining marks'],
      ['\uFDFD'.repeat(64), '64 x U+FDFD'],
      ['\ud800', 'a lone surrogate'],
      ['\u0301abc', 'starting with a mark'],
      ['a\u200Bb', 'zero width space'],
      ['\uE000', 'private use'],
    ];
    let i = 0;
    for (const [displayName, what] of bad) assert.equal(await register(server, `user${i++}`, displayName), { status: 400, code: 'INVALID_DISPLAY_NAME' }, what);
    assert.is((await register(server, 'fine1', 'Zo\u00eb  \u00a0Smith')).status, 201, 'ordinary name with odd spaces');
    assert.is((await register(server, 'fine2', 'Tiếng Việt')).status, 201, 'stacked marks within the cap');
    const me = await postJson(`${server.httpUrl}/api/login`, { username: 'fine1', password: DEFAULT_PASSWORD });
    assert.is(((await me.json()) as { user: { displayName: string } }).user.displayName, 'Zo\u00eb Smith', 'spaces mapped and collapsed (RFC 8266)');
  } finally {
    await server.stop();
  }
});

test(`combining marks: up to ${NAME_MARKS_PER_BASE_MAX} on one character`, async () => {
  const server = await startTestServer();
  try {
    assert.is((await register(server, `o${'\u0302\u0323\u0300\u0309'.slice(0, NAME_MARKS_PER_BASE_MAX)}k`)).status, 201);
    assert.is((await register(server, `x${'\u0301'.repeat(NAME_MARKS_PER_BASE_MAX + 1)}`)).code, 'INVALID_USERNAME');
  } finally {
    await server.stop();
  }
});

test('skeletons are UTS #39 from the Unicode table', () => {
  assert.equal(usernameSkeletons('\u0440\u0430\u0443\u0440\u0430l'), usernameSkeletons('paypal'), 'all-Cyrillic look-alike');
  assert.equal(usernameSkeletons('modern'), usernameSkeletons('rnodern'));
  assert.not.equal(usernameSkeletons('alice'), usernameSkeletons('alina'));
});

test('mixed-script detection marks names that mix writing systems, not the usual companions (row 2)', () => {
  assert.equal(mixedScripts('\u0430lice'), ['Cyrillic', 'Latin']);
  assert.equal(mixedScripts('p\u0430yp\u0430l'), ['Latin', 'Cyrillic']);
  assert.equal(mixedScripts('abc\u03ba'), ['Latin', 'Greek']);
  for (const single of ['alice', 'a.b-c_1', 'Caf\u00e9', '\u0434\u0436\u043e\u043d', '\u5f20\u4f1f', '\u5c71\u7530\u305f\u308d\u3046', '\u30c6\u30b9\u30c8\u6f22\u5b57', '\uae40\ucca0\uc218']) {
    assert.equal(mixedScripts(single), [], single);
  }
});

/** A users.db line as an old server wrote it: no passwordNfkc, no skeleton check. */
async function legacyUser(id: string, username: string, passwordTyped: string): Promise<string> {
  const passwordHash = await argon2.hash(passwordTyped, ARGON2_OPTIONS);
  return JSON.stringify({ _id: id, username, displayName: username, bio: '', passwordHash, key: usernameKey(username), createdAt: 1 });
}

test('existing data: look-alike pairs registered before keep logging in; a legacy password typed as it was set still works, once more normalised (rows 2, 8)', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'chatroom-unicode-'));
  try {
    const decomposed = 'cafe\u0301-latte!';
    const lines = [await legacyUser('u1', 'alice', DEFAULT_PASSWORD), await legacyUser('u2', '\u0430lice', DEFAULT_PASSWORD), await legacyUser('u3', 'barista', decomposed)];
    await writeFile(path.join(dir, 'users.db'), `${lines.join('\n')}\n`, { mode: 0o600 });
    const server = await startTestServer({ dbPath: path.join(dir, 'users.db') });
    try {
      assert.is(await loginStatus(server, 'alice', DEFAULT_PASSWORD), 200);
      assert.is(await loginStatus(server, '\u0430lice', DEFAULT_PASSWORD), 200, 'the old look-alike still logs in');
      assert.is((await register(server, '\u0430l\u0456ce')).code, 'USERNAME_TOO_SIMILAR', 'and no third one gets in');
      // The legacy hash is of the decomposed form: typed so, the second try matches and rehashes.
      assert.is(await loginStatus(server, 'barista', decomposed), 200, 'typed as when it was set');
      assert.is(await loginStatus(server, 'barista', decomposed.normalize('NFC')), 200, 'now normalised: the precomposed form works too');
      assert.is(await loginStatus(server, 'barista', decomposed), 200, 'and the decomposed one still');
      assert.is(await loginStatus(server, 'barista', 'cafe-latte!!'), 401);
    } finally {
      await server.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('passwords are NFKC-normalised: set precomposed, typed decomposed or with fullwidth digits (row 8)', async () => {
  const server = await startTestServer();
  try {
    assert.is((await register(server, 'cafe', 'Cafe', 'caf\u00e9 1234')).status, 201);
    assert.is(await loginStatus(server, 'cafe', 'cafe\u0301 1234'), 200, 'decomposed é');
    assert.is(await loginStatus(server, 'cafe', 'caf\u00e9 \uFF11\uFF12\uFF13\uFF14'), 200, 'fullwidth digits');
    assert.is(await loginStatus(server, 'cafe', 'cafe 1234'), 401, 'e without the accent is another password');
  } finally {
    await server.stop();
  }
});

test('a password whose typed form differs from its NFKC form costs two verifies on every path', async () => {
  const calls: string[] = [];
  const hasher = {
    verify: async (phc: string, password: string) => (calls.push(`verify ${phc}`), { ok: password === 'never' }),
    verifyNothing: async () => void calls.push('nothing'),
    hash: async () => 'new',
  };
  const user = (passwordNfkc?: boolean) => ({ id: 'id', username: 'u', key: 'u', passwordHash: passwordNfkc ? 'nfkc' : 'legacy', ...(passwordNfkc ? { passwordNfkc } : {}) });
  const costOf = async (found: object | null, password: string): Promise<string[]> => {
    calls.length = 0;
    const users = { findByUsername: async () => found };
    const accounts = new Accounts(users as never, {} as never, hasher as never, new LoginThrottle(), new RegistrationThrottle());
    await accounts.login({ username: 'u', password }, '10.0.0.9').catch(() => {});
    return [...calls];
  };
  const typed = 'cafe\u0301 wrong';
  assert.equal(await costOf(null, typed), ['nothing', 'nothing'], 'unknown user');
  assert.equal(await costOf(user(true), typed), ['verify nfkc', 'nothing'], 'normalised account');
  assert.equal(await costOf(user(false), typed), ['verify legacy', 'verify legacy'], 'legacy account');
  assert.equal(await costOf(user(false), 'plain wrong'), ['verify legacy'], 'an NFKC-stable password: one verify');
  assert.equal(await costOf(null, 'plain wrong'), ['nothing']);
});

test.run();
