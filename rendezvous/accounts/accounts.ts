// Registration, login and logout: the account rules, hashing, throttling and sessions together,
// independent of HTTP.

import type { LoginResponse, PublicUser } from '../../shared/api';
import { ChatError } from '../../shared/errors';
import { usernameKey, validateBio, validateDisplayName, validatePassword, validateUsername } from '../../shared/accountRules';
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
    const attempt = this.throttle.begin(usernameKey(body.username), address);
    let user: UserRecord | null;
    let result: VerifyResult;
    try {
      ({ user, result } = await this.verify(body.username, body.password));
    } catch (error) {
      attempt.withdraw(); // busy or broken: not a wrong password
      throw error;
    }
    if (!user || !result.ok) throw new ChatError('BAD_CREDENTIALS', BAD_CREDENTIALS);
    attempt.withdraw();
    if (result.upgradedHash) await this.users.setPasswordHash(user._id, result.upgradedHash);
    const { token, session } = await this.sessions.create(user._id);
    return { token, expiresAt: session.expiresAt, user: publicUser(user) };
  }

  /** Checks a password; an unknown user costs the same time as a known one. */
  private async verify(username: string, password: string): Promise<{ user: UserRecord | null; result: VerifyResult }> {
    const user = await this.users.findByUsername(username);
    if (!user) {
      await this.hasher.verifyNothing(password);
      return { user, result: { ok: false } };
    }
    return { user, result: await this.hasher.verify(user.passwordHash, password) };
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
