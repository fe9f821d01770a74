// One contract for every account store (accounts/store.ts): the same tests run against NeDB and
// against a real PostgreSQL that this file starts on a free port with a temporary data folder.
// PostgreSQL missing from the machine: its half is skipped with a line saying what to install.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { openNedbStore } from '../rendezvous/accounts/nedbStore';
import { openPgStore, type PgAccountStore } from '../rendezvous/accounts/postgres/pgStore';
import { importNedb } from '../rendezvous/accounts/postgres/importNedb';
import { migrate, SCHEMA_VERSION } from '../rendezvous/accounts/postgres/schema';
import type { AccountStore, NewUser } from '../rendezvous/accounts/store';
import { POSTGRES_MISSING, postgresBinDir, startPostgres, type TestPostgres } from './helpers/engines';
import { rejects } from './helpers/rejects';

interface Engine {
  name: string;
  /** A fresh, empty store. */
  open(options?: { sessionTtlMs?: number; sessionsPerAccountMax?: number }): Promise<AccountStore>;
  /** The same data opened again (as after a restart). */
  reopen(store: AccountStore): Promise<AccountStore>;
  /** Every byte the engine keeps, for "the token is never stored" checks. */
  dump(store: AccountStore): Promise<string>;
  cleanup(): Promise<void>;
}

const user = (username: string): NewUser => ({ username, displayName: username, bio: '', passwordHash: `$argon2id$fake-${username}`, passwordNfkc: true });
const code = (expected: string) => (e: { code?: string }) => e.code === expected;

function contract(engine: () => Engine, teardown: () => Promise<unknown> = async () => {}): void {
  let current: Engine;
  const test = suite(`account store contract: ${engine().name}`);
  test.after(async () => {
    await teardown();
  });
  test.before.each(() => {
    current = engine();
  });
  test.after.each(async () => {
    await current.cleanup();
  });

  test('names are unique by usernameKey: any case, NFC, ß', async () => {
    const store = await current.open();
    const alice = await store.users.insert(user('Alice'));
    assert.ok(alice.id.length >= 16, 'an id');
    assert.is((await store.users.findByUsername('ALICE'))?.id, alice.id);
    assert.is((await store.users.findById(alice.id))?.username, 'Alice');
    await rejects(store.users.insert(user('alice')), code('USERNAME_TAKEN'));
    await store.users.insert(user('straße'));
    assert.ok(await store.users.findByUsername('STRASSE'), 'ß folds like usernameKey');
    assert.is(await store.users.findByUsername('nobody'), null);
    assert.ok(await store.users.hasLookAlike('аlice'), 'Cyrillic а looks like alice');
    assert.not.ok(await store.users.hasLookAlike('bob'));
    await store.close();
  });

  test('20 concurrent inserts of one name: exactly one account', async () => {
    const store = await current.open();
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => store.users.insert(user(i % 2 ? 'Racer' : 'racer'))));
    assert.is(results.filter((r) => r.status === 'fulfilled').length, 1);
    assert.ok(results.every((r) => r.status === 'fulfilled' || (r.reason as { code: string }).code === 'USERNAME_TAKEN'));
    await store.close();
  });

  test('password hash, devices and device keys are kept, also across a reopen', async () => {
    let store = await current.open();
    const { id } = await store.users.insert(user('keeper'));
    await store.users.setPasswordHash(id, 'new-hash', true);
    const devices = [{ id: 'dev1', tokenHash: 'ab'.repeat(32), createdAt: 1, lastSeenAt: 2 }];
    await store.users.setDevices(id, devices);
    const keys = [
      { publicKey: 'K'.repeat(43), boundAt: 20 },
      { publicKey: 'L'.repeat(43), boundAt: 10 },
    ];
    for (const key of [keys[1], keys[0]]) await store.users.addDeviceKey(id, key, 8);
    store = await current.reopen(store);
    const found = await store.users.findById(id);
    assert.is(found?.passwordHash, 'new-hash');
    assert.is(found?.passwordNfkc, true);
    assert.equal(found?.devices, devices);
    assert.equal(found?.deviceKeys, keys);
    assert.is((await store.users.findByDeviceKey('L'.repeat(43)))?.id, id);
    await store.users.addDeviceKey(id, { publicKey: 'P'.repeat(43), boundAt: 30 }, 2);
    assert.is(await store.users.findByDeviceKey('L'.repeat(43)), null, 'a key dropped past the cap is no longer bound');
    await store.close();
  });

  test('one device key bound by racing writers of the same account (nodes of a cluster): none is refused', async () => {
    const store = await current.open();
    const kim = await store.users.insert(user('kim'));
    const key = { publicKey: 'M'.repeat(43), boundAt: 30 };
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => store.users.addDeviceKey(kim.id, key, 8)));
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => String(r.reason?.code ?? r.reason));
    assert.equal(refused, [], 'no writer of the owning account is refused');
    assert.is((await store.users.findByDeviceKey(key.publicKey))?.id, kim.id);
    await store.close();
  });

  test('different keys of one account bound at once (nodes of a cluster): every one kept, within the cap', async () => {
    const store = await current.open();
    const lee = await store.users.insert(user('lee'));
    const keys = Array.from({ length: 8 }, (_, i) => ({ publicKey: String.fromCharCode(65 + i).repeat(42) + 'x', boundAt: 100 + i }));
    await Promise.all(keys.map((key) => store.users.addDeviceKey(lee.id, key, 16)));
    assert.equal(
      (await store.users.findById(lee.id))?.deviceKeys?.map((k) => k.publicKey).sort(),
      keys.map((k) => k.publicKey).sort(),
      'no bind lost another',
    );
    await store.users.addDeviceKey(lee.id, keys[0], 16);
    assert.is((await store.users.findById(lee.id))?.deviceKeys?.length, 8, 'a key bound again changes nothing');

    const max = await store.users.insert(user('max'));
    const more = Array.from({ length: 6 }, (_, i) => ({ publicKey: String.fromCharCode(97 + i).repeat(42) + 'y', boundAt: 200 + i }));
    await Promise.all(more.map((key) => store.users.addDeviceKey(max.id, key, 3)));
    assert.equal(
      (await store.users.findById(max.id))?.deviceKeys?.map((k) => k.boundAt).sort(),
      [203, 204, 205],
      'past the cap the least recently bound go',
    );
    assert.is(await store.users.findByDeviceKey(more[0].publicKey), null);

    await rejects(store.users.addDeviceKey(max.id, keys[1], 3), code('BAD_KEY'));
    assert.is((await store.users.findByDeviceKey(keys[1].publicKey))?.id, lee.id, 'the holder keeps it');
    assert.is((await store.users.findById(max.id))?.deviceKeys?.length, 3, 'nothing written for the refused key');
    await store.close();
  });

  test('sessions: token stored only as its hash, lookup, revoke, expiry, per-account cap', async () => {
    let store = await current.open({ sessionsPerAccountMax: 2 });
    const { id } = await store.users.insert(user('sessioned'));
    const first = await store.sessions.create(id, 'dev1');
    assert.is(first.token.length, 43);
    assert.equal(await store.sessions.lookup(first.token), first.session);
    assert.is(first.session.deviceId, 'dev1');
    assert.not.ok((await current.dump(store)).includes(first.token), 'the token itself is never stored');
    const second = await store.sessions.create(id);
    const third = await store.sessions.create(id);
    assert.equal(third.dropped, [first.session.tokenHash], 'the oldest is revoked past the cap');
    assert.is(await store.sessions.lookup(first.token), null);
    store = await current.reopen(store);
    assert.is((await store.sessions.lookup(second.token))?.userId, id, 'sessions survive a reopen');
    await store.sessions.revoke(second.session.tokenHash);
    assert.is(await store.sessions.lookup(second.token), null, 'revoked');
    assert.is(await store.sessions.lookup('not a token'), null);
    await store.close();
    const short = await current.open({ sessionTtlMs: 1 });
    const { id: other } = await short.users.insert(user('shortlived'));
    const expiring = await short.sessions.create(other);
    const until = Date.now() + 5;
    while (Date.now() < until); // the 1 ms expiry passes (a clock, not a synchronisation)
    assert.is(await short.sessions.lookup(expiring.token), null, 'expired');
    await short.close();
  });

  test.run();
}

contract(() => {
  let dir: string | undefined;
  let path0 = '';
  let options: { sessionTtlMs?: number; sessionsPerAccountMax?: number } = {};
  return {
    name: 'NeDB',
    async open(opts = {}) {
      options = opts;
      dir ??= await mkdtemp(path.join(tmpdir(), 'chatroom-contract-'));
      path0 = path.join(dir, `users-${Math.random().toString(36).slice(2)}.db`);
      return openNedbStore({ dbPath: path0, log: () => {}, ...opts });
    },
    async reopen(store) {
      await store.close();
      return openNedbStore({ dbPath: path0, log: () => {}, ...options });
    },
    async dump() {
      return (await readFile(path0, 'utf8')) + (await readFile(`${path0}.sessions`, 'utf8'));
    },
    async cleanup() {
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
});

if (!postgresBinDir()) {
  console.log(`  account store contract: PostgreSQL skipped. ${POSTGRES_MISSING}`);
} else {
  /** One server for the whole file, a fresh database per test. */
  let server: Promise<TestPostgres> | undefined;
  let databases = 0;
  contract(() => {
    let url = '';
    let options: { sessionTtlMs?: number; sessionsPerAccountMax?: number } = {};
    const open = () => openPgStore({ url, log: () => {}, ...options });
    return {
      name: 'PostgreSQL',
      async open(opts = {}) {
        options = opts;
        server ??= startPostgres();
        const postgres = await server;
        if (!url) {
          const name = `contract_${databases++}`;
          const admin = await openPgStore({ url: postgres.url, log: () => {} });
          await admin.pool.query(`CREATE DATABASE ${name}`);
          await admin.close();
          url = postgres.url.replace(/\/postgres$/, `/${name}`);
        }
        return open();
      },
      async reopen(store) {
        await store.close();
        return open();
      },
      async dump(store) {
        const { rows } = await (store as PgAccountStore).pool.query('SELECT row_to_json(s)::text AS row FROM sessions s UNION ALL SELECT row_to_json(u)::text FROM users u');
        return rows.map((r: { row: string }) => r.row).join('\n');
      },
      async cleanup() {},
    };
  }, async () => (await server)?.destroy());

  const schema = suite('PostgreSQL schema');
  let postgres: TestPostgres;
  schema.before(async () => {
    postgres = await startPostgres();
  });
  schema.after(async () => {
    await postgres?.destroy();
  });
  schema('the migration is versioned and idempotent: nodes starting together apply it once', async () => {
    const store = await openPgStore({ url: postgres.url, log: () => {} });
    try {
      const again = await Promise.all([migrate(store.pool), migrate(store.pool), migrate(store.pool)]);
      assert.equal(again, [[], [], []], 'nothing left to apply');
      const { rows } = await store.pool.query('SELECT version FROM schema_version ORDER BY version');
      assert.equal(rows.map((r: { version: number }) => r.version), Array.from({ length: SCHEMA_VERSION }, (_, i) => i + 1));
    } finally {
      await store.close();
    }
  });
  schema('a device key another account holds is BAD_KEY, also while its owner rebinds it (the primary key decides, across nodes)', async () => {
    const store = await openPgStore({ url: postgres.url, log: () => {} });
    try {
      const [kim, lou] = await Promise.all([store.users.insert(user('kim-pg')), store.users.insert(user('lou-pg'))]);
      const key = { publicKey: 'N'.repeat(43), boundAt: 40 };
      await store.users.addDeviceKey(kim.id, key, 8);
      const results = await Promise.allSettled([store.users.addDeviceKey(lou.id, key, 8), store.users.addDeviceKey(kim.id, key, 8), store.users.addDeviceKey(lou.id, key, 8)]);
      assert.equal(results.map((r) => (r.status === 'fulfilled' ? 'ok' : (r.reason as { code?: string }).code)), ['BAD_KEY', 'ok', 'BAD_KEY']);
      assert.is((await store.users.findByDeviceKey(key.publicKey))?.id, kim.id);
      assert.equal((await store.users.findById(lou.id))?.deviceKeys ?? [], [], 'nothing half-written for the refused account');
    } finally {
      await store.close();
    }
  });
  schema('a stopped database answers STORE_UNAVAILABLE, and the store recovers when it is back', async () => {
    const store = await openPgStore({ url: postgres.url, log: () => {} });
    try {
      await store.users.insert(user('durable'));
      await postgres.stop();
      await rejects(store.users.findByUsername('durable'), code('STORE_UNAVAILABLE'));
      await rejects(store.users.insert(user('newcomer')), code('STORE_UNAVAILABLE'));
      await rejects(store.sessions.lookup('A'.repeat(43)), code('STORE_UNAVAILABLE'));
      await postgres.start();
      assert.is((await store.users.findByUsername('durable'))?.username, 'durable');
    } finally {
      await store.close();
    }
  });
  schema('a NeDB store imports into PostgreSQL with its ids, hashes, device keys and live sessions; a second run adds nothing', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'chatroom-import-'));
    const admin = await openPgStore({ url: postgres.url, log: () => {} });
    await admin.pool.query('CREATE DATABASE import_target');
    await admin.close();
    const store = await openPgStore({ url: postgres.url.replace(/\/postgres$/, '/import_target'), log: () => {} });
    try {
      const nedb = await openNedbStore({ dbPath: path.join(dir, 'users.db'), log: () => {} });
      const ann = await nedb.users.insert(user('Ann'));
      await nedb.users.addDeviceKey(ann.id, { publicKey: 'A'.repeat(43), boundAt: 5 }, 8);
      const { token } = await nedb.sessions.create(ann.id, 'dev');
      await nedb.users.insert(user('bob'));
      await nedb.close();
      const first = await importNedb(path.join(dir, 'users.db'), store, () => {});
      assert.equal(first, { users: 2, skipped: [], sessions: 1 });
      const imported = await store.users.findByUsername('ann');
      assert.is(imported?.id, ann.id, 'the account id is kept (peer ids derive from it)');
      assert.is(imported?.passwordHash, ann.passwordHash);
      assert.equal(imported?.deviceKeys, [{ publicKey: 'A'.repeat(43), boundAt: 5 }]);
      assert.is((await store.sessions.lookup(token))?.userId, ann.id, 'still logged in');
      assert.ok(await store.users.hasLookAlike('B0B'), 'skeletons imported');
      const second = await importNedb(path.join(dir, 'users.db'), store, () => {});
      assert.equal({ ...second, skipped: second.skipped.sort() }, { users: 0, skipped: ['Ann', 'bob'], sessions: 0 });
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
  schema.run();
}
