// Accounts in a NeDB file. Uniqueness is a unique index on the normalized key (NFC, case-folded),
// so concurrent registrations of one name cannot both succeed.

import type Datastore from 'nedb-promises';
import type { PublicUser } from '../../shared/api';
import { ChatError } from '../../shared/errors';
import { usernameKey } from '../../shared/accountRules';
import { openDatastore, syncFile } from './nedbFile';

export interface UserRecord extends PublicUser {
  _id: string;
  key: string;
  passwordHash: string;
  createdAt: number;
}

export type NewUser = Omit<UserRecord, '_id' | 'key' | 'createdAt'>;

export function publicUser(user: UserRecord): PublicUser {
  return { username: user.username, displayName: user.displayName, bio: user.bio };
}

export class UserStore {
  private constructor(
    private readonly db: Datastore<any>,
    private readonly filename: string,
  ) {}

  static async open(filename: string, log: (message: string) => void): Promise<UserStore> {
    const db = await openDatastore(filename, log);
    await db.ensureIndex({ fieldName: 'key', unique: true });
    return new UserStore(db, filename);
  }

  async findByUsername(username: string): Promise<UserRecord | null> {
    return (await this.db.findOne({ key: usernameKey(username) })) as UserRecord | null;
  }

  async findById(id: string): Promise<UserRecord | null> {
    return (await this.db.findOne({ _id: id })) as UserRecord | null;
  }

  /** Inserts and syncs to disk before resolving: a 201 is only sent for a durable account. */
  async insert(user: NewUser): Promise<UserRecord> {
    try {
      const record = (await this.db.insert({ ...user, key: usernameKey(user.username), createdAt: Date.now() })) as UserRecord;
      await syncFile(this.filename);
      return record;
    } catch (error) {
      if ((error as { errorType?: string }).errorType === 'uniqueViolated') {
        throw new ChatError('USERNAME_TAKEN', 'This username is already registered.');
      }
      throw error;
    }
  }

  async setPasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.db.update({ _id: id }, { $set: { passwordHash } });
  }
}
