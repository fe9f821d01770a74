// Accounts for the load bench, made through the real HTTP API: registration and login each cost
// an Argon2id hash (~30 ms, PASSWORD_HASH_CONCURRENCY at a time on the server).

import type { ApiErrorBody, LoginResponse } from '../../shared/api';
import { retryWhenBusy } from '../../shared/busyRetry';
import { ChatError } from '../../shared/errors';
import { PASSWORD_HASH_CONCURRENCY } from '../../shared/limits';
import { postJson } from '../../test/helpers/server';

export const BENCH_PASSWORD = 'load bench password';

export function benchUsername(index: number): string {
  return `load${String(index).padStart(4, '0')}`;
}

export type LoginOutcome = { ok: true; token: string; retries: number } | { ok: false; status: number; retries: number };

/**
 * One login as the page and the CLI make it: a 503 (the password queue is full) is tried again
 * after the server's Retry-After, with jitter (shared/busyRetry.ts); `retries` counts those.
 */
export async function loginAsClients(httpUrl: string, username: string): Promise<LoginOutcome> {
  let retries = 0;
  try {
    return await retryWhenBusy(
      async () => {
        const outcome = await login(httpUrl, username);
        if (!outcome.ok && outcome.status === 503) throw new ChatError('BUSY', 'busy', { retryAfterSeconds: outcome.retryAfterSeconds });
        return { ...outcome, retries };
      },
      { onWait: () => retries++ },
    );
  } catch {
    return { ok: false, status: 503, retries };
  }
}

export async function login(httpUrl: string, username: string): Promise<(LoginOutcome & { retryAfterSeconds?: number })> {
  const res = await postJson(`${httpUrl}/api/login`, { username, password: BENCH_PASSWORD });
  if (res.status !== 200) {
    const body = (await res.json().catch(() => null)) as ApiErrorBody | null;
    return { ok: false, status: res.status, retries: 0, retryAfterSeconds: body?.error?.retryAfterSeconds };
  }
  return { ok: true, token: ((await res.json()) as LoginResponse).token, retries: 0 };
}

async function registerAndLogin(httpUrl: string, username: string): Promise<string> {
  const res = await postJson(`${httpUrl}/api/register`, { username, password: BENCH_PASSWORD, displayName: `Load ${username}` });
  if (res.status !== 201) throw new Error(`register ${username}: ${res.status} ${await res.text()}`);
  const outcome = await login(httpUrl, username);
  if (!outcome.ok) throw new Error(`login ${username}: ${outcome.status}`);
  return outcome.token;
}

/** Registers and logs in `count` accounts, as many at once as the server hashes; returns their tokens. */
export async function createAccounts(httpUrl: string, count: number): Promise<string[]> {
  const tokens: string[] = new Array(count);
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const index = next++;
      tokens[index] = await registerAndLogin(httpUrl, benchUsername(index));
    }
  };
  await Promise.all(Array.from({ length: PASSWORD_HASH_CONCURRENCY }, worker));
  return tokens;
}
