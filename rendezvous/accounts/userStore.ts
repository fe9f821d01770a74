// Accounts in a NeDB file. Uniqueness is a unique index on the normalized key (NFC, case-folded),
// so concurrent registrations of one name cannot both succeed. A registration that cannot be
// written (disk full, read-only file) answers STORE_UNAVAILABLE and leaves no account behind, in
// the file or in memory. NeDB's `_id` is the account id; it never leaves this file.

import { withDeviceKey, type DeviceKeyRecord } from './deviceKeys';
import type Datastore from 'nedb-promises';
import { ChatError } from '../../shared/errors';
import { usernameKey } from '../../shared/accountRules';
import type { DeviceRecord } from './devices';
import { NameIndex } from './nameIndex';
import { compactDatastore, insertOrRollBack, openDatastore, storeUnavailable, syncFile, WriteGate } from './nedbFile';
import type { NewUser, UserRecord, UserRepository } from './store';

export { publicUser, type NewUser, type UserRecord } from './store';

/** A user as NeDB keeps it. */
type UserDoc = Omit<UserRecord, 'id'> & { _id: string };

function toRecord(doc: UserDoc | null): UserRecord | null {
  if (!doc) return null;
  const { _id, ...rest } = doc;
  return { id: _id, ...rest };
}

export class UserStore implements UserRepository {
  private readonly gate = new WriteGate();
  private readonly names = new NameIndex();

  private constructor(
    private readonly db: Datastore<any>,
    private readonly filename: string,
    private readonly log: (message: string) => void,
  ) {}

  static async open(filename: string, log: (message: string) => void): Promise<UserStore> {
    const db = await openDatastore(filename, log);
    await db.ensureIndex({ fieldName: 'key', unique: true });
    const store = new UserStore(db, filename, log);
    for (const user of (await db.find({}, { username: 1 })) as Array<{ username: string }>) store.names.add(user.username);
    return store;
  }

  /** True when an account's user name looks like `username` (same confusable skeleton). */
  async hasLookAlike(username: string): Promise<boolean> {
    return this.names.hasLookAlike(username);
  }

  async findByUsername(username: string): Promise<UserRecord | null> {
    return this.gate.read(async () => toRecord((await this.db.findOne({ key: usernameKey(username) })) as UserDoc | null));
  }

  async findById(id: string): Promise<UserRecord | null> {
    return this.gate.read(async () => toRecord((await this.db.findOne({ _id: id })) as UserDoc | null));
  }

  /** Inserts and syncs to disk before resolving: a 201 is only sent for a durable account. */
  async insert(user: NewUser): Promise<UserRecord> {
    const key = usernameKey(user.username);
    let record: UserRecord;
    try {
      record = toRecord(await insertOrRollBack(this.db, this.gate, { ...user, key, createdAt: Date.now() }, { key }))!;
      this.names.add(user.username);
    } catch (error) {
      if ((error as { errorType?: string }).errorType === 'uniqueViolated') {
        throw new ChatError('USERNAME_TAKEN', 'This username is already registered.');
      }
      throw error;
    }
    try {
      await syncFile(this.filename);
    } catch (error) {
      // Not known to be durable: it must not be acknowledged, nor linger in memory.
      await this.gate.write(() => this.db.remove({ key }, { multi: false })).catch(() => {});
      this.names.remove(user.username);
      throw storeUnavailable(this.filename, error, this.log);
    }
    return record;
  }

  /** A new hash; `nfkc` says it is of the NFKC form (a legacy account's first login with it sets it). */
  async setPasswordHash(id: string, passwordHash: string, nfkc: boolean): Promise<void> {
    await this.gate.write(() => this.db.update({ _id: id }, { $set: { passwordHash, passwordNfkc: nfkc } }));
  }

  /** The account a device key is bound to, if any. */
  async findByDeviceKey(publicKey: string): Promise<UserRecord | null> {
    return this.gate.read(async () => toRecord((await this.db.findOne({ 'deviceKeys.publicKey': publicKey })) as UserDoc | null));
  }

  /** One process owns the file: the write gate makes the read and the write one step. */
  async addDeviceKey(id: string, key: DeviceKeyRecord, max: number): Promise<void> {
    const changed = await this.gate.write(async () => {
      const holder = (await this.db.findOne({ 'deviceKeys.publicKey': key.publicKey })) as UserDoc | null;
      if (holder && holder._id !== id) throw new ChatError('BAD_KEY', 'This device key belongs to another account.');
      if (holder) return false;
      const keys = withDeviceKey(toRecord((await this.db.findOne({ _id: id })) as UserDoc | null)?.deviceKeys, key.publicKey, key.boundAt, max);
      if (!keys) return false;
      await this.db.update({ _id: id }, { $set: { deviceKeys: keys } });
      return true;
    });
    if (!changed) return;
    try {
      await syncFile(this.filename);
    } catch (error) {
      throw storeUnavailable(this.filename, error, this.log);
    }
  }

  async setDevices(id: string, devices: DeviceRecord[]): Promise<void> {
    await this.gate.write(() => this.db.update({ _id: id }, { $set: { devices } }));
  }

  /** Writes the file out compacted (at shutdown: the next start loads a clean file). */
  async flush(): Promise<void> {
    await this.gate.write(() => compactDatastore(this.db));
  }
}
