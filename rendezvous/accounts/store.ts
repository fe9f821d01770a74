// The account store: one interface for users (with their devices and device keys) and sessions,
// whatever engine keeps them. NeDB (userStore.ts, sessions.ts) is the default, one process only;
// PostgreSQL (postgres/) is for a cluster of nodes. Engine details (NeDB's _id, SQL rows) stay
// inside each implementation; tests/accountStore.contract.ts holds every one to the same rules.

import type { PublicUser } from '../../shared/api';
import type { DeviceKeyRecord } from './deviceKeys';
import type { DeviceRecord } from './devices';

export interface UserRecord extends PublicUser {
  /** Stable for the account's life (peer ids derive from it). */
  id: string;
  /** usernameKey(username): the unique, case-insensitive key. */
  key: string;
  passwordHash: string;
  /**
   * True when passwordHash is the hash of the NFKC form of the password (accountRules.ts
   * normalizePassword). Absent on accounts registered before: their hash is of the password as
   * typed, and a login may try that form once (accounts.ts).
   */
  passwordNfkc?: boolean;
  createdAt: number;
  /** Devices that logged in (devices.ts), most recently seen first; absent until the first login. */
  devices?: DeviceRecord[];
  /** Device public keys bound to the account (deviceKeys.ts), most recently bound first; absent until the first socket. */
  deviceKeys?: DeviceKeyRecord[];
}

export type NewUser = Omit<UserRecord, 'id' | 'key' | 'createdAt' | 'devices' | 'deviceKeys'>;

export function publicUser(user: UserRecord): PublicUser {
  return { username: user.username, displayName: user.displayName, bio: user.bio };
}

export interface UserRepository {
  /** True when an account's user name looks like `username` (same confusable skeleton). */
  hasLookAlike(username: string): Promise<boolean>;
  findByUsername(username: string): Promise<UserRecord | null>;
  findById(id: string): Promise<UserRecord | null>;
  /**
   * Creates the account, durably, before resolving. Throws ChatError USERNAME_TAKEN when the name's
   * key is taken (also by a concurrent insert, on any node), STORE_UNAVAILABLE when it cannot be written.
   */
  insert(user: NewUser): Promise<UserRecord>;
  /** A new hash; `nfkc` says it is of the NFKC form (a legacy account's first login with it sets it). */
  setPasswordHash(id: string, passwordHash: string, nfkc: boolean): Promise<void>;
  /** The account a device key is bound to, if any. */
  findByDeviceKey(publicKey: string): Promise<UserRecord | null>;
  /**
   * Binds one more key to the account, durably before resolving (a bound key survives kill -9),
   * reading and writing its keys as one step (two keys bound at once, on two nodes of a cluster,
   * are both kept); past `max` keys the least recently bound go. Nothing to do when the account
   * holds it already; ChatError BAD_KEY when another does.
   */
  addDeviceKey(id: string, key: DeviceKeyRecord, max: number): Promise<void>;
  setDevices(id: string, devices: DeviceRecord[]): Promise<void>;
  /** At shutdown: leaves the store clean (NeDB writes its file out compacted). */
  flush(): Promise<void>;
}

export interface Session {
  tokenHash: string;
  userId: string;
  expiresAt: number;
  /** The device (devices.ts) that logged in; absent on sessions made before devices existed. */
  deviceId?: string;
}

export interface NewSession {
  token: string;
  session: Session;
  /** Token hashes of the account's oldest sessions, revoked to stay within the per-account cap. */
  dropped: string[];
}

export interface SessionRepository {
  /** A new session, durable before resolving; the token is returned once and stored only as its hash. */
  create(userId: string, deviceId?: string): Promise<NewSession>;
  /** The live session of a token, or null (unknown, malformed or expired). */
  lookup(token: string): Promise<Session | null>;
  /** Revokes a session durably before resolving. */
  revoke(tokenHash: string): Promise<void>;
  /** Stops timers and leaves the store clean. */
  close(): Promise<void>;
}

export interface AccountStore {
  /** 'nedb' or 'postgres', for logs and /readyz. */
  readonly engine: string;
  readonly users: UserRepository;
  readonly sessions: SessionRepository;
  /** Throws when the engine cannot be reached now (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
