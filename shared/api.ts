// Shapes of the HTTP JSON API (/api/*). Errors are always `ApiErrorBody` with a 4xx/5xx status.

import type { ErrorCode } from './errors';

export interface PublicUser {
  username: string;
  displayName: string;
  bio: string;
}

/** POST /api/register -> 201 RegisterResponse */
export interface RegisterRequest {
  username: string;
  password: string;
  displayName: string;
  bio?: string;
}
export interface RegisterResponse {
  user: PublicUser;
}

/** POST /api/login -> 200 LoginResponse (429 LOGIN_THROTTLED with Retry-After seconds) */
export interface LoginRequest {
  username: string;
  password: string;
  /**
   * The device token this browser profile or CLI state folder got at an earlier login of this
   * account. A login with a valid one is throttled on its own: failures from elsewhere never
   * lock it out. Kept across logouts.
   */
  deviceToken?: string;
}
export interface LoginResponse {
  token: string;
  /** Expiry of the token, ms since the epoch. */
  expiresAt: number;
  user: PublicUser;
  /** This device: keep `token` (with the session, across logouts) and send it as `deviceToken` next time. */
  device: { id: string; token: string };
}

/** POST /api/logout with `Authorization: Bearer <token>` -> 204. GET /api/me -> 200 { user }. */
export interface MeResponse {
  user: PublicUser;
}

export interface ApiErrorBody {
  error: { code: ErrorCode; message: string; retryAfterSeconds?: number };
}
