// The HTTP JSON API (shared/api.ts) as typed calls. Failures become ChatError with the server's
// code; a network failure becomes UNREACHABLE.

import type { ApiErrorBody, LoginRequest, LoginResponse, MeResponse, RegisterRequest, RegisterResponse } from '../../shared/api';
import { ChatError, isErrorCode } from '../../shared/errors';

async function call<T>(origin: string, path: string, init: { method: string; body?: unknown; token?: string }): Promise<T> {
  const headers: Record<string, string> = {};
  if (init.body !== undefined) headers['Content-Type'] = 'application/json';
  if (init.token) headers.Authorization = `Bearer ${init.token}`;
  let response: Response;
  try {
    response = await fetch(`${origin}${path}`, {
      method: init.method,
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
  } catch {
    throw new ChatError('UNREACHABLE', `Cannot reach ${origin}`);
  }
  const text = await response.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    // Not JSON (e.g. a proxy's error page): handled below by status.
  }
  if (!response.ok) {
    const error = (json as Partial<ApiErrorBody> | null)?.error;
    const retryHeader = Number(response.headers.get('Retry-After'));
    const retryAfterSeconds = error?.retryAfterSeconds ?? (Number.isFinite(retryHeader) && retryHeader > 0 ? retryHeader : undefined);
    if (error && isErrorCode(error.code)) throw new ChatError(error.code, String(error.message ?? error.code), { retryAfterSeconds });
    throw new ChatError(response.status >= 500 ? 'INTERNAL' : 'BAD_MESSAGE', `HTTP ${response.status}`, { retryAfterSeconds });
  }
  return json as T;
}

export const api = {
  register: (origin: string, body: RegisterRequest) => call<RegisterResponse>(origin, '/api/register', { method: 'POST', body }),
  login: (origin: string, body: LoginRequest) => call<LoginResponse>(origin, '/api/login', { method: 'POST', body }),
  logout: (origin: string, token: string) => call<null>(origin, '/api/logout', { method: 'POST', token }),
  me: (origin: string, token: string) => call<MeResponse>(origin, '/api/me', { method: 'GET', token }),
};
