// Registration, login and logout: the account rules, hashing, throttling and sessions together,
// independent of HTTP.

import type { LoginResponse, PublicUser } from '../../shared/api';
import { ChatError } from '../../shared/errors';
import { loginUsernameKey, normalizePassword, usernameKeys, validateBio, validateDisplayName, validatePassword, validateUsername } from '../../shared/accountRules';
import { findDevice, newDevice, withDevice, type DeviceRecord } from './devices';
import { DEVICE_KEYS_PER_ACCOUNT_MAX } from '../../shared/limits';
import { KeyedQueue } from './keyedQueue';
import type { KeyOwner } from '../../shared/protocol';
import type { LoginThrottle } from './loginThrottle';
import type { PasswordHasher, VerifyResult } from './passwordHasher';
import type { RegistrationThrottle } from './registrationThrottle';
import { publicUser, type Session, type SessionRepository, type UserRecord, type UserRepository } from './store';

export interface Authenticated {
  session: Session;
  user: UserRecord;
}

const BAD_CREDENTIALS = 'Wrong username or password.';

export class Accounts {
  /** Called with the token hashes of sessions revoked to keep an account within its session cap. */
  onSessionsDropped: (tokenHashes: string[]) => void = () => {};
  /** An account's device list and keys are read, changed and written one update at a time; a device key is bound by one account at a time. */
  private readonly deviceUpdates = new KeyedQueue();
  /** Registrations check names and insert one at a time: two look-alikes cannot both pass. */
  private registrationsInOrder: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly users: UserRepository,
    private readonly sessions: SessionRepository,
    private readonly hasher: PasswordHasher,
    private readonly throttle: LoginThrottle,
    private readonly registrations: RegistrationThrottle,
  ) {}

  async register(body: Record<string, unknown>, address: string): Promise<PublicUser> {
    const username = validateUsername(body.username);
    const password = validatePassword(body.password);
    const displayName = validateDisplayName(body.displayName);
    const bio = validateBio(body.bio);
    const registration = await this.registrations.begin(address);
    try {
      // Early answer for the common case, before the hash; checked again in order below.
      await this.checkNameFree(username);
      const passwordHash = await this.hasher.hash(normalizePassword(password));
      const insert = this.registrationsInOrder.then(async () => {
        await this.checkNameFree(username);
        return this.users.insert({ username, displayName, bio, passwordHash, passwordNfkc: true });
      });
      this.registrationsInOrder = insert.catch(() => {});
      return publicUser(await insert);
    } catch (error) {
      await registration.withdraw(); // taken, busy or not written: no account, so it does not count
      throw error;
    }
  }

  async login(body: Record<string, unknown>, address: string): Promise<LoginResponse> {
    if (typeof body.username !== 'string' || typeof body.password !== 'string' || body.username === '' || body.password === '') {
      throw new ChatError('BAD_MESSAGE', 'Username and password are required.');
    }
    // A name no account could have never becomes a throttle key (300 names of 15 KB would).
    const key = loginUsernameKey(body.username);
    if (key === null) {
      await this.throttle.recordAddressFailure(address);
      throw new ChatError('BAD_CREDENTIALS', BAD_CREDENTIALS);
    }
    const found = await this.findAccount(body.username);
    const knownDevice = found ? findDevice(found.devices, body.deviceToken) : undefined;
    const attempt = await this.throttle.begin({ account: key, address, device: knownDevice?.id });
    let result: VerifyResult;
    try {
      result = await this.verify(found, body.password);
    } catch (error) {
      await attempt.withdraw(); // busy or broken: not a wrong password
      throw error;
    }
    if (!found || !result.ok) throw new ChatError('BAD_CREDENTIALS', BAD_CREDENTIALS);
    await attempt.withdraw();
    if (result.upgradedHash) await this.users.setPasswordHash(found.id, result.upgradedHash, true);
    const device = await this.rememberDevice(found.id, knownDevice, body.deviceToken as string | undefined);
    const { token, session, dropped } = await this.sessions.create(found.id, device.id);
    if (dropped.length > 0) this.onSessionsDropped(dropped);
    return { token, expiresAt: session.expiresAt, user: publicUser(found), device };
  }

  /** Refuses a new name that an account has (in any case) or that looks like one. */
  private async checkNameFree(username: string): Promise<void> {
    for (const key of usernameKeys(username)) {
      if (await this.users.findByUsername(key)) throw new ChatError('USERNAME_TAKEN', 'This username is already registered.');
    }
    if (await this.users.hasLookAlike(username)) throw new ChatError('USERNAME_TOO_SIMILAR', 'This username is too similar to an existing name.');
  }

  /** The account a login names: as typed (every old account), else with fullwidth forms mapped as registration maps them. */
  private async findAccount(username: string): Promise<UserRecord | null> {
    const found = await this.users.findByUsername(username);
    if (found) return found;
    const mapped = username.replace(/[\uFF01-\uFFEF]/gu, (char) => char.normalize('NFKC'));
    return mapped === username ? null : this.users.findByUsername(mapped);
  }

  /**
   * Checks a password, hashed as its NFKC form. An account registered before passwords were
   * normalised (no passwordNfkc) gets one more try with the password as typed, and is rehashed
   * when that one matches. Whenever the typed form differs from its NFKC form, a failed first try
   * costs a second verify on every path (a normalised account and an unknown user verify against
   * the dummy hash), so timing tells neither which accounts exist nor which are legacy.
   */
  private async verify(user: UserRecord | null, password: string): Promise<VerifyResult> {
    const normalized = normalizePassword(password);
    const secondTry = normalized !== password;
    if (!user) {
      await this.hasher.verifyNothing(normalized);
      if (secondTry) await this.hasher.verifyNothing(password);
      return { ok: false };
    }
    const first = await this.hasher.verify(user.passwordHash, normalized);
    if (first.ok) {
      // A legacy hash that matched the NFKC form is of the NFKC form: only the flag is missing.
      if (!user.passwordNfkc && !first.upgradedHash) return { ok: true, upgradedHash: user.passwordHash };
      return first;
    }
    if (!secondTry) return first;
    if (user.passwordNfkc) {
      await this.hasher.verifyNothing(password);
      return { ok: false };
    }
    const legacy = await this.hasher.verify(user.passwordHash, password);
    return legacy.ok ? { ok: true, upgradedHash: await this.hasher.hash(normalized) } : legacy;
  }

  /** Refreshes the known device's last-seen time, or issues a new device; returns what the client keeps. */
  private rememberDevice(userId: string, known: DeviceRecord | undefined, knownToken: string | undefined): Promise<{ id: string; token: string }> {
    const update = this.deviceUpdates.run([`account:${userId}`], async () => {
      const now = Date.now();
      const issued = known && knownToken ? { token: knownToken, record: { ...known, lastSeenAt: now } } : newDevice(now);
      const current = await this.users.findById(userId);
      // An unwritable store must not stop a login: the device is then only not remembered.
      await this.users.setDevices(userId, withDevice(current?.devices, issued.record)).catch(() => {});
      return { id: issued.record.id, token: issued.token };
    });
    return update;
  }

  /** The session and user of a token; throws UNAUTHORIZED. */
  async authenticate(token: string): Promise<Authenticated> {
    const session = await this.sessions.lookup(token);
    const user = session && (await this.users.findById(session.userId));
    if (!session || !user) throw new ChatError('UNAUTHORIZED', 'Not logged in (session unknown or expired).');
    return { session, user };
  }

  /**
   * Binds a device key to the account (durably) unless it is already; throws BAD_KEY when another
   * account holds it. The store binds in one step (accounts/store.ts addDeviceKey), so concurrent
   * binds, here or on other nodes, need no queue of ours.
   */
  bindDeviceKey(userId: string, publicKey: string, bound?: readonly { publicKey: string }[]): Promise<void> {
    // Already bound (`bound`: the account's keys as just read): nothing to write.
    // Every reconnect of a known device takes this path; with PostgreSQL it saves a transaction.
    if (bound?.some((k) => k.publicKey === publicKey)) return Promise.resolve();
    return this.users.addDeviceKey(userId, { publicKey, boundAt: Date.now() }, DEVICE_KEYS_PER_ACCOUNT_MAX);
  }

  /**
   * The accounts that own `keys` (keys bound to none are left out): peers verify messages of
   * authors who are not online with them. Only names and display names go out, never other keys.
   */
  async ownersOfKeys(keys: readonly string[]): Promise<KeyOwner[]> {
    const owners: KeyOwner[] = [];
    for (const deviceKey of new Set(keys)) {
      const user = await this.users.findByDeviceKey(deviceKey);
      if (user) owners.push({ deviceKey, username: user.username, displayName: user.displayName });
    }
    return owners;
  }

  async logout(session: Session): Promise<void> {
    await this.sessions.revoke(session.tokenHash);
  }
}
