// Registration, login and logout: the account rules, hashing, throttling and sessions together,
// independent of HTTP.

import type { LoginResponse, PublicUser } from '../../shared/api';
import { ChatError } from '../../shared/errors';
import { loginUsernameKey, validateBio, validateDisplayName, validatePassword, validateUsername } from '../../shared/accountRules';
import { findDevice, newDevice, withDevice, type DeviceRecord } from './devices';
import type { LoginThrottle } from './loginThrottle';
import type { PasswordHasher, VerifyResult } from './passwordHasher';
import type { RegistrationThrottle } from './registrationThrottle';
import type { Session, SessionStore } from './sessions';
import { publicUser, type UserRecord, type UserStore } from './userStore';

export interface Authenticated {
  session: Session;
  user: UserRecord;
}

const BAD_CREDENTIALS = 'Wrong username or password.';

export class Accounts {
  /** Called with the token hashes of sessions revoked to keep an account within its session cap. */
  onSessionsDropped: (tokenHashes: string[]) => void = () => {};
  /** Device lists are read, changed and written one login at a time. */
  private deviceUpdates: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly users: UserStore,
    private readonly sessions: SessionStore,
    private readonly hasher: PasswordHasher,
    private readonly throttle: LoginThrottle,
    private readonly registrations: RegistrationThrottle,
  ) {}

  async register(body: Record<string, unknown>, address: string): Promise<PublicUser> {
    const username = validateUsername(body.username);
    const password = validatePassword(body.password);
    const displayName = validateDisplayName(body.displayName);
    const bio = validateBio(body.bio);
    const registration = this.registrations.begin(address);
    try {
      // Early answer for the common case; the unique index still decides races.
      if (await this.users.findByUsername(username)) throw new ChatError('USERNAME_TAKEN', 'This username is already registered.');
      const passwordHash = await this.hasher.hash(password);
      return publicUser(await this.users.insert({ username, displayName, bio, passwordHash }));
    } catch (error) {
      registration.withdraw(); // taken, busy or not written: no account, so it does not count
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
      this.throttle.recordAddressFailure(address);
      throw new ChatError('BAD_CREDENTIALS', BAD_CREDENTIALS);
    }
    const found = await this.users.findByUsername(body.username);
    const knownDevice = found ? findDevice(found.devices, body.deviceToken) : undefined;
    const attempt = this.throttle.begin({ account: key, address, device: knownDevice?.id });
    let result: VerifyResult;
    try {
      result = await this.verify(found, body.password);
    } catch (error) {
      attempt.withdraw(); // busy or broken: not a wrong password
      throw error;
    }
    if (!found || !result.ok) throw new ChatError('BAD_CREDENTIALS', BAD_CREDENTIALS);
    attempt.withdraw();
    if (result.upgradedHash) await this.users.setPasswordHash(found._id, result.upgradedHash);
    const device = await this.rememberDevice(found._id, knownDevice, body.deviceToken as string | undefined);
    const { token, session, dropped } = await this.sessions.create(found._id, device.id);
    if (dropped.length > 0) this.onSessionsDropped(dropped);
    return { token, expiresAt: session.expiresAt, user: publicUser(found), device };
  }

  /** Checks a password; an unknown user costs the same time as a known one. */
  private async verify(user: UserRecord | null, password: string): Promise<VerifyResult> {
    if (!user) {
      await this.hasher.verifyNothing(password);
      return { ok: false };
    }
    return this.hasher.verify(user.passwordHash, password);
  }

  /** Refreshes the known device's last-seen time, or issues a new device; returns what the client keeps. */
  private rememberDevice(userId: string, known: DeviceRecord | undefined, knownToken: string | undefined): Promise<{ id: string; token: string }> {
    const update = this.deviceUpdates.then(async () => {
      const now = Date.now();
      const issued = known && knownToken ? { token: knownToken, record: { ...known, lastSeenAt: now } } : newDevice(now);
      const current = await this.users.findById(userId);
      // An unwritable store must not stop a login: the device is then only not remembered.
      await this.users.setDevices(userId, withDevice(current?.devices, issued.record)).catch(() => {});
      return { id: issued.record.id, token: issued.token };
    });
    this.deviceUpdates = update.catch(() => {});
    return update;
  }

  /** The session and user of a token; throws UNAUTHORIZED. */
  async authenticate(token: string): Promise<Authenticated> {
    const session = await this.sessions.lookup(token);
    const user = session && (await this.users.findById(session.userId));
    if (!session || !user) throw new ChatError('UNAUTHORIZED', 'Not logged in (session unknown or expired).');
    return { session, user };
  }

  async logout(session: Session): Promise<void> {
    await this.sessions.revoke(session.tokenHash);
  }
}
