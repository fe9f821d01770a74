// How much history this peer serves each account (HISTORY_SERVE_*): listings and image bytes per
// fixed window, so a member who asks again and again gets nothing more until the window ends.

import { HISTORY_SERVE_ACCOUNTS_MAX, HISTORY_SERVE_IMAGE_BYTES_MAX, HISTORY_SERVE_REQUESTS_MAX, HISTORY_SERVE_WINDOW_MS } from '../../shared/limits';

export interface ServeLimits {
  requests: number;
  imageBytes: number;
  windowMs: number;
}

export const DEFAULT_SERVE_LIMITS: ServeLimits = { requests: HISTORY_SERVE_REQUESTS_MAX, imageBytes: HISTORY_SERVE_IMAGE_BYTES_MAX, windowMs: HISTORY_SERVE_WINDOW_MS };

interface Spent {
  since: number;
  requests: number;
  imageBytes: number;
  reported: boolean;
}

export class ServeQuota {
  /** By account; a Map keeps insertion order, so the oldest window goes first when full. */
  private readonly spent = new Map<string, Spent>();

  constructor(
    private readonly limits: ServeLimits = DEFAULT_SERVE_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts a listing for `account`; false when it has had its share this window. */
  request(account: string): boolean {
    const spent = this.of(account);
    if (spent.requests >= this.limits.requests) return false;
    spent.requests++;
    return true;
  }

  /** Counts `bytes` of images passed on to `account`; false (nothing counted) when they would pass its share. */
  spendImage(account: string, bytes: number): boolean {
    const spent = this.of(account);
    if (spent.imageBytes + bytes > this.limits.imageBytes) return false;
    spent.imageBytes += bytes;
    return true;
  }

  /** True the first time in a window that `account` is refused: a refusal is reported once, not per request. */
  firstRefusal(account: string): boolean {
    const spent = this.of(account);
    if (spent.reported) return false;
    spent.reported = true;
    return true;
  }

  private of(account: string): Spent {
    const now = this.now();
    let spent = this.spent.get(account);
    if (spent && now - spent.since < this.limits.windowMs) return spent;
    this.spent.delete(account);
    if (this.spent.size >= HISTORY_SERVE_ACCOUNTS_MAX) this.spent.delete(this.spent.keys().next().value!);
    spent = { since: now, requests: 0, imageBytes: 0, reported: false };
    this.spent.set(account, spent);
    return spent;
  }
}
