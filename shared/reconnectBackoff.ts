// The signaling client's reconnect delay: exponential backoff with full jitter, so a crowd cut off
// at once (a node restarting) comes back spread over the window instead of in one wave.

import { RECONNECT_FIRST_MS, RECONNECT_MAX_MS } from './limits';

/** The delay before reconnect attempt `attempts` (0 after a welcome), in ms. */
export function reconnectDelayMs(attempts: number, firstMs = RECONNECT_FIRST_MS, maxMs = RECONNECT_MAX_MS, random = Math.random): number {
  return random() * Math.min(maxMs, firstMs * 2 ** attempts);
}
