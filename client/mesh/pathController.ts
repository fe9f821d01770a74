// Which path carries traffic to one peer, and the direct link behind it (DESIGN-NOTES seam 1).
//
// Relay first: with the relay allowed (`auto`, `force`) a pair sends over the relay from the moment
// the peer is known; a direct attempt runs meanwhile and takes over once a PING over it got its PONG.
// When a confirmed link goes quiet (ICE disconnected, a missed heartbeat) sending moves back to the
// relay at once; the link is torn down only when the grace or the heartbeat gives up on it, and takes
// over again if it recovers first. With the relay `off` nothing carries until the link is confirmed.
//
// Direct links are budgeted (LinkBudget, DIRECT_LINKS_MAX): an attempt holds a slot on both sides
// from its `ask` on. An initiator with no free slot waits for one, then asks the responder for one
// before it makes any connection; a responder with a slot grants it (kept for that attempt's offer
// for one connect timeout), one with none declines, and the initiator stays on the relay without
// asking again until the responder says `free` (it then keeps a slot for that peer the same way).
//
// Exactly one side initiates (the smaller peer id), so there is no glare.

import { isOffer, type PeerSignal } from '../../shared/peerSignal';
import type { LinkState } from './api';
import { DIRECT_FAILED_ATTEMPTS_MAX } from '../../shared/limits';
import type { Transport } from './sendQueue';
import type { DirectLink, PathEnvironment } from './pathEnvironment';

/**
 * The direct side of the pair:
 * - `idle`: no attempt (a responder waiting for an offer, an initiator between retries);
 * - `waiting-calm`: initiator, relay allowed: peers joined lately, so no set-up yet (DIRECT_UPGRADE_CALM_MS);
 * - `waiting-slot`: initiator, its own budget is full;
 * - `asking`: initiator, holds its own slot and asked the responder for one; no connection yet;
 * - `declined`: initiator, the responder's budget is full; waits for its `free`;
 * - `trial`: an attempt in flight (holds a slot), the relay carries meanwhile;
 * - `up`: confirmed, carries the traffic;
 * - `quiet`: confirmed but silent; the relay carries until it is heard again or given up.
 */
export type DirectPhase = 'idle' | 'waiting-calm' | 'waiting-slot' | 'asking' | 'declined' | 'trial' | 'up' | 'quiet';

export class PathController {
  phase: DirectPhase = 'idle';
  private attempt: DirectLink | null = null;
  /** Initiator, phase `asking`: the attempt asked for, and the timer that gives up on an answer. */
  private asked: string | null = null;
  private askTimer: ReturnType<typeof setTimeout> | null = null;
  private current: Transport | null = null;
  private lastState: LinkState | null = null;
  /** Relay off: a direct link failed at least once and none is up (shows `unreachable`). */
  private gaveUp = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private retryDelay: number;
  /** When the current link was confirmed (ms since epoch): one that carried long enough resets the backoff. */
  private confirmedAt = 0;
  /** Attempts in a row that never opened (DIRECT_FAILED_ATTEMPTS_MAX). */
  private failedAttempts = 0;
  /** Responder: the slot set aside for a declined initiator's next offer is given back after this. */
  private reserveTimer: ReturnType<typeof setTimeout> | null = null;
  /** Responder: this peer was declined and waits for our `free`. */
  private declinedPeer = false;
  private destroyed = false;

  /** When this pair appeared (ms since the epoch): bounds how long its first attempt waits for a calm room. */
  private readonly bornAt = Date.now();

  constructor(private readonly env: PathEnvironment) {
    this.retryDelay = env.timeouts.retryFirstMs;
  }

  /** The word the online list shows: the path that carries traffic now. */
  get state(): LinkState {
    if (this.phase === 'up') return 'direct';
    if (this.env.relayMode() !== 'off') return 'relay';
    return this.gaveUp ? 'unreachable' : 'connecting';
  }

  start(): void {
    this.applyPath(false);
    if (this.env.relayMode() === 'force') return;
    if (this.env.initiator) this.tryDirect();
  }

  destroy(): void {
    this.destroyed = true;
    this.env.pacer?.drop(this.env.peerId);
    this.closeAttempt();
    this.env.budget?.drop(this.env.peerId);
    this.clearTimers();
  }

  /** Test seam: the direct link goes silent with no event, as most real failures do. */
  cutDirect(): void {
    this.attempt?.cutSilently();
  }

  // ---- signals from the other side --------------------------------------------------------
  onSignal(s: PeerSignal): void {
    if (this.destroyed || this.env.relayMode() === 'force') return;
    switch (s.kind) {
      case 'ask':
        return this.onAsk(s.attempt);
      case 'grant':
        return this.onGrant(s.attempt);
      case 'webrtc':
        return this.onWebrtc(s.attempt, s.signal);
      case 'decline':
        return this.onDecline(s.attempt);
      case 'free':
        return this.onFree();
    }
  }

  /**
   * A signal of attempt `attemptId` could not be trusted (its DTLS fingerprints are not signed by the
   * peer's device key): the attempt is over on both sides and the relay carries on.
   */
  refuse(attemptId: string, reason: string): void {
    if (this.destroyed) return;
    if (this.attempt?.id === attemptId) return this.attemptFailed(this.attempt, reason, true);
    // A responder refusing an offer opened nothing: the initiator learns its attempt is dead.
    if (!this.env.initiator && this.env.relayMode() !== 'off') this.env.tellAttemptDead(attemptId);
  }

  /** The other side declared a direct attempt dead (PATH frame). */
  onAttemptDead(attemptId: string): void {
    if (this.attempt?.id === attemptId) this.attemptFailed(this.attempt, 'peer reported the direct link dead', false);
  }

  /** The signaling socket is back: signals in flight were lost, and relayed frames may have been. */
  onSignalingResumed(): void {
    if (this.phase !== 'up' && this.current) this.env.switchTo(this.current, true);
    if (!this.env.initiator || this.env.relayMode() === 'force') return;
    this.failedAttempts = 0;
    if (this.phase === 'trial' || this.phase === 'asking' || this.phase === 'declined' || this.phase === 'idle' || this.phase === 'waiting-calm') {
      // An ask, a grant, an offer, an answer or a `free` may have been lost with the socket: ask once more.
      this.closeAttempt();
      this.phase = 'idle';
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.retryTimer = null;
      this.tryDirect();
    }
  }

  private onWebrtc(attemptId: string, signal: Record<string, unknown>): void {
    if (this.attempt?.id !== attemptId) {
      // Only the initiator opens attempts, each with an offer; a responder follows the newest offer
      // and ignores stray candidates of attempts it no longer has.
      if (this.env.initiator || !isOffer(signal)) return;
      this.dropOldAttempt();
      return this.acceptOffer(attemptId, signal);
    }
    this.attempt.signal(signal);
  }

  /** Responder: an ask is granted on a slot kept for its offer, or declined. */
  private onAsk(attemptId: string): void {
    if (this.env.initiator || this.destroyed) return;
    const budget = this.env.budget;
    if (budget && !budget.take(this.env.peerId)) return this.decline(attemptId);
    // A new ask means the initiator gave up whatever attempt we still hold: the slot carries over.
    this.dropOldAttempt();
    this.declinedPeer = false;
    if (budget) this.keepSlotForOffer();
    this.env.sendSignal({ kind: 'grant', attempt: attemptId });
  }

  /** Responder: the initiator started over; an attempt we still hold is dead (its slot stays held). */
  private dropOldAttempt(): void {
    if (!this.attempt) return;
    const wasCarrying = this.phase === 'up' || this.phase === 'quiet';
    this.closeAttempt();
    this.phase = 'idle';
    this.applyPath(wasCarrying);
  }

  /** Responder: the slot held for the peer waits one connect timeout for its offer, then is handed on. */
  private keepSlotForOffer(): void {
    if (this.reserveTimer) clearTimeout(this.reserveTimer);
    this.reserveTimer = setTimeout(() => {
      this.reserveTimer = null;
      // No offer came for the slot kept for it: hand it on (the peer will be declined again if it asks later).
      if (!this.attempt) {
        this.declinedPeer = false;
        this.env.budget!.release(this.env.peerId);
      }
    }, this.env.timeouts.directConnectMs);
  }

  /** Responder: a new offer opens an attempt on a slot of the budget, or is declined. */
  private acceptOffer(attemptId: string, offer: Record<string, unknown>): void {
    if (this.destroyed || this.attempt) return;
    const budget = this.env.budget;
    if (budget && !budget.take(this.env.peerId)) return this.decline(attemptId);
    this.declinedPeer = false;
    if (this.reserveTimer) clearTimeout(this.reserveTimer);
    this.reserveTimer = null;
    this.openAttempt(attemptId);
    this.attempt!.signal(offer);
  }

  /** Responder, budget full: no link for this offer; the initiator hears `free` when a slot is kept for it. */
  private decline(attemptId: string): void {
    this.phase = 'idle';
    this.env.sendSignal({ kind: 'decline', attempt: attemptId });
    if (this.declinedPeer) return;
    this.declinedPeer = true;
    this.env.budget!.wait(this.env.peerId, () => {
      if (this.destroyed) return this.env.budget!.release(this.env.peerId);
      this.keepSlotForOffer();
      this.env.sendSignal({ kind: 'free' });
    });
  }

  private onDecline(attemptId: string): void {
    if (!this.env.initiator || (this.asked !== attemptId && this.attempt?.id !== attemptId)) return;
    this.closeAttempt();
    this.releaseSlot();
    this.phase = 'declined';
    this.applyPath(false);
  }

  /** Initiator: the responder keeps a slot for this attempt: now the connection is made. */
  private onGrant(attemptId: string): void {
    if (!this.env.initiator || this.destroyed || this.phase !== 'asking' || this.asked !== attemptId) return;
    this.stopAsking();
    this.openAttempt(attemptId);
  }

  private onFree(): void {
    if (!this.env.initiator || this.phase !== 'declined') return;
    this.phase = 'idle';
    this.tryDirect();
  }

  // ---- attempts ---------------------------------------------------------------------------
  private tryDirect(): void {
    if (this.destroyed || this.phase !== 'idle') return;
    if (!this.env.signalingOnline()) return this.scheduleRetry();
    const calm = this.untilCalm();
    if (calm > 0) {
      this.phase = 'waiting-calm';
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        if (this.phase !== 'waiting-calm') return;
        this.phase = 'idle';
        this.tryDirect();
      }, calm);
      return;
    }
    const budget = this.env.budget;
    if (!budget) return this.openAttempt(this.env.newAttemptId());
    this.phase = 'waiting-slot';
    budget.wait(this.env.peerId, () => {
      if (this.destroyed || this.phase !== 'waiting-slot') return budget.release(this.env.peerId);
      const pacer = this.env.pacer;
      if (!pacer) return this.ask();
      pacer.wait(this.env.peerId, () => {
        if (!this.destroyed && this.phase === 'waiting-slot') return this.ask();
        pacer.drop(this.env.peerId);
        if (!this.destroyed && !this.attempt) budget.release(this.env.peerId);
      });
    });
  }

  /**
   * How long an attempt should still wait for the room to be calm (ms; 0: go). With the relay
   * allowed, while peers keep joining, set-ups wait (DIRECT_UPGRADE_CALM_MS), at most
   * DIRECT_UPGRADE_WAIT_MAX_MS after this pair appeared; with the relay off nothing else carries.
   */
  private untilCalm(): number {
    if (this.env.relayMode() === 'off') return 0;
    const now = Date.now();
    const { upgradeCalmMs, upgradeWaitMaxMs } = this.env.timeouts;
    return Math.max(0, Math.min(this.env.lastJoinAt() + upgradeCalmMs - now, this.bornAt + upgradeWaitMaxMs - now));
  }

  /** Initiator, holding its own slot: asks the responder for one before making a connection. */
  private ask(): void {
    const id = this.env.newAttemptId();
    this.phase = 'asking';
    this.asked = id;
    this.askTimer = setTimeout(() => {
      this.askTimer = null;
      if (this.phase === 'asking' && this.asked === id) this.attemptFailed(null, 'the peer did not answer the ask', false);
    }, this.env.timeouts.directConnectMs);
    this.env.sendSignal({ kind: 'ask', attempt: id });
  }

  private stopAsking(): void {
    if (this.askTimer) clearTimeout(this.askTimer);
    this.askTimer = null;
    this.asked = null;
  }

  private openAttempt(id: string): void {
    this.phase = 'trial';
    const attempt: DirectLink = this.env.openDirect(id, {
      signal: (signal) => {
        if (this.attempt === attempt) this.env.sendSignal({ kind: 'webrtc', attempt: id, signal });
      },
      confirmed: () => {
        if (this.attempt !== attempt || this.destroyed) return;
        if (this.retryTimer) clearTimeout(this.retryTimer);
        this.retryTimer = null;
        this.confirmedAt = Date.now();
        this.failedAttempts = 0;
        this.env.pacer?.drop(this.env.peerId);
        this.gaveUp = false;
        this.phase = 'up';
        this.applyPath(false);
      },
      failed: (reason) => this.attemptFailed(attempt, reason, true),
      quiet: () => {
        if (this.attempt !== attempt || this.phase !== 'up') return;
        this.phase = 'quiet';
        this.applyPath(true);
      },
      heard: () => {
        if (this.attempt !== attempt || this.phase !== 'quiet') return;
        this.phase = 'up';
        this.applyPath(false);
      },
    });
    this.attempt = attempt;
  }

  /** `attempt` null: an ask that got no answer. */
  private attemptFailed(attempt: DirectLink | null, reason: string, tellPeer: boolean): void {
    if (attempt !== this.attempt || this.destroyed) return;
    const wasCarrying = this.phase === 'up';
    // The backoff grows over the pair's life, not per link: a link that dies soon after it came up
    // (a starved peer, a flaky path) is not rebuilt every retryFirstMs. One that carried for the
    // longest retry delay starts again from the first.
    const hadLink = this.phase === 'up' || this.phase === 'quiet';
    if (hadLink && Date.now() - this.confirmedAt >= this.env.timeouts.retryMaxMs) this.retryDelay = this.env.timeouts.retryFirstMs;
    if (!hadLink) this.failedAttempts++;
    this.closeAttempt();
    this.releaseSlot();
    this.phase = 'idle';
    const relayOff = this.env.relayMode() === 'off';
    if (tellPeer && attempt && !relayOff) this.env.tellAttemptDead(attempt.id);
    if (relayOff) {
      this.gaveUp = true;
      this.env.unreachable(reason);
    }
    this.applyPath(wasCarrying);
    // With the relay carrying, a path that never opened is not offered again and again.
    if (this.env.initiator && (relayOff || this.failedAttempts < DIRECT_FAILED_ATTEMPTS_MAX)) this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.destroyed) return;
    const delay = this.retryDelay;
    this.retryDelay = Math.min(this.retryDelay * 2, this.env.timeouts.retryMaxMs);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.phase === 'idle') this.tryDirect();
    }, delay);
  }

  /** Gives the pair's slot back (its connection is closed: peerLink.ts closes it at once). */
  private releaseSlot(): void {
    this.env.budget?.release(this.env.peerId);
  }

  private closeAttempt(): void {
    const attempt = this.attempt;
    const asking = this.asked !== null;
    this.attempt = null;
    this.stopAsking();
    if ((attempt || asking) && this.env.initiator) this.env.pacer?.drop(this.env.peerId);
    attempt?.close();
  }

  /** Points sending at the path the phase calls for, and tells the list when the word changed. */
  private applyPath(resend: boolean): void {
    const next = this.phase === 'up' ? this.attempt!.transport : this.env.relayMode() === 'off' ? null : this.env.relayTransport();
    if (next !== this.current || resend) {
      // An upgrade keeps what is in flight on the old path (texts are ordered by sequence number and
      // an image finishes on the path it started on); a path given up, or none, may have lost frames.
      const lost = resend || this.current === null;
      this.current = next;
      this.env.switchTo(next, lost);
    }
    const state = this.state;
    if (state !== this.lastState) {
      this.lastState = state;
      this.env.stateChanged();
    }
  }

  private clearTimers(): void {
    this.stopAsking();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.reserveTimer) clearTimeout(this.reserveTimer);
    this.retryTimer = this.reserveTimer = null;
  }
}

