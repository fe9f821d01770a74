// Typing notices, throttled both ways: ours go out at most every TYPING_SEND_EVERY_MS however often
// the user types, and a peer's are passed on at most twice as often however fast it sends them.

import { TYPING_SEND_EVERY_MS } from '../../shared/limits';
import type { PeerId } from '../../shared/protocol';

export class TypingGate {
  private lastSent = -Infinity;
  private readonly lastHeard = new Map<PeerId, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** True when a notice of ours may go out now (and counts it as sent). */
  send(): boolean {
    const now = this.now();
    if (now - this.lastSent < TYPING_SEND_EVERY_MS) return false;
    this.lastSent = now;
    return true;
  }

  /** True when `peer`'s notice is to be passed on (not too soon after its last one). */
  heard(peer: PeerId): boolean {
    const now = this.now();
    if (now - (this.lastHeard.get(peer) ?? -Infinity) < TYPING_SEND_EVERY_MS / 2) return false;
    this.lastHeard.set(peer, now);
    return true;
  }

  forget(peer: PeerId): void {
    this.lastHeard.delete(peer);
  }
}
