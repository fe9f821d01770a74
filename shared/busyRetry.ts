// A login or registration answered 503 (the server's password queue is full: BUSY; or its account
// database is unreachable: STORE_UNAVAILABLE) is tried again by the client itself, after the
// server's Retry-After or a doubling backoff, with jitter so that a refused crowd does not come
// back at once. The page and the CLI show that they are waiting (onWait).

import { ChatError } from './errors';
import { BUSY_RETRY_ATTEMPTS_MAX, BUSY_RETRY_FIRST_MS, BUSY_RETRY_MAX_MS } from './limits';

export function isRetryableBusy(error: unknown): error is ChatError {
  return error instanceof ChatError && (error.code === 'BUSY' || error.code === 'STORE_UNAVAILABLE');
}

/**
 * The wait before retry number `retry` (0 = the first), with equal jitter (half to one and a half
 * times the base). The base is the server's Retry-After when it sent one: it knows when its queue
 * will have room, and a client backing off further would come back to an idle server. Without one
 * (a proxy's 503), a doubling backoff.
 */
export function busyRetryDelayMs(retry: number, retryAfterSeconds: number | undefined, random = Math.random): number {
  const base = retryAfterSeconds && retryAfterSeconds > 0 ? Math.min(BUSY_RETRY_MAX_MS, retryAfterSeconds * 1000) : Math.min(BUSY_RETRY_MAX_MS, BUSY_RETRY_FIRST_MS * 2 ** retry);
  return Math.round(base / 2 + random() * base);
}

export interface BusyRetryOptions {
  /** Told before each wait: the milliseconds it will last and the retry it leads to (1 = the first). */
  onWait?(delayMs: number, retry: number): void;
  attemptsMax?: number;
  sleep?(ms: number): Promise<void>;
}

export async function retryWhenBusy<T>(attempt: () => Promise<T>, options: BusyRetryOptions = {}): Promise<T> {
  const attemptsMax = options.attemptsMax ?? BUSY_RETRY_ATTEMPTS_MAX;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  for (let retry = 0; ; retry++) {
    try {
      return await attempt();
    } catch (error) {
      if (!isRetryableBusy(error) || retry + 1 >= attemptsMax) throw error;
      const delayMs = busyRetryDelayMs(retry, error.retryAfterSeconds);
      options.onWait?.(delayMs, retry + 1);
      await sleep(delayMs);
    }
  }
}
