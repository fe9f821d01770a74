// "Delivered to k of n" for own messages: n = the other accounts online when the message was sent
// (my own other devices do not count), k = how many of them said they stored and showed it (a
// RECEIPT frame, sent by the receiver's app, not by its transport). Receipts count per account, so
// an account with two devices online counts once. Bounded: the newest DELIVERY_TRACKED_MAX messages.

import { DELIVERY_TRACKED_MAX } from '../../shared/limits';
import type { DeliveryState } from './api';

interface Tracked {
  expected: Set<string>;
  delivered: Set<string>;
}

export class DeliveryTracker {
  private readonly byId = new Map<string, Tracked>();

  constructor(private readonly max = DELIVERY_TRACKED_MAX) {}

  /** Starts following `messageId`, expected by these accounts. */
  track(messageId: string, accounts: Iterable<string>): DeliveryState {
    this.byId.set(messageId, { expected: new Set(accounts), delivered: new Set() });
    while (this.byId.size > this.max) this.byId.delete(this.byId.keys().next().value as string);
    return this.state(messageId)!;
  }

  /** `account` has it; the new state, or null when it changes nothing (unknown id, not expected, already counted). */
  receipt(messageId: string, account: string): DeliveryState | null {
    const tracked = this.byId.get(messageId);
    if (!tracked || !tracked.expected.has(account) || tracked.delivered.has(account)) return null;
    tracked.delivered.add(account);
    return this.state(messageId);
  }

  state(messageId: string): DeliveryState | null {
    const tracked = this.byId.get(messageId);
    return tracked ? { messageId, delivered: tracked.delivered.size, total: tracked.expected.size } : null;
  }
}
