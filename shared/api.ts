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
}
export interface LoginResponse {
  token: string;
  /** Expiry of the token, ms since the epoch. */
  expiresAt: number;
  user: PublicUser;
}

/** POST /api/logout with `Authorization: Bearer <token>` -> 204. GET /api/me -> 200 { user }. */
export interface MeResponse {
  user: PublicUser;
}

export interface ApiErrorBody {
  error: { code: ErrorCode; message: string; retryAfterSeconds?: number };
}
