// What the path controller (pathController.ts) works with: the direct link of one attempt, the
// events it reports, and the environment its decisions go to (the pair, signaling and the relay).

import type { PeerId, RelayMode } from '../../shared/protocol';
import type { PeerSignal } from '../../shared/peerSignal';
import type { LinkBudget } from './linkBudget';
import type { Transport } from './sendQueue';
import type { MeshTimeouts } from './timeouts';

/** One direct attempt as the controller sees it (DirectAttempt, or a fake in unit tests). */
export interface DirectLink {
  readonly id: string;
  readonly transport: Transport;
  signal(data: Record<string, unknown>): void;
  close(): void;
  cutSilently(): void;
}

export interface DirectLinkEvents {
  signal(data: Record<string, unknown>): void;
  confirmed(): void;
  failed(reason: string): void;
  /** The confirmed link went quiet (ICE disconnected, a missed heartbeat): it may come back. */
  quiet(): void;
  /** ...and it was heard again. */
  heard(): void;
}

/** Where the controller's decisions go: the delivery layer (Pair), signaling and the relay. */
export interface PathEnvironment {
  readonly peerId: PeerId;
  readonly initiator: boolean;
  readonly timeouts: MeshTimeouts;
  /** null: no budget (relay off, or unbounded). */
  readonly budget: LinkBudget | null;
  /** How many attempts this mesh opens at once as initiator (DIRECT_ATTEMPTS_IN_FLIGHT_MAX); null: not paced (relay off). */
  readonly pacer: LinkBudget | null;
  relayMode(): RelayMode;
  signalingOnline(): boolean;
  /** When the room last changed by a join (ms since the epoch): attempts wait for it to be calm (DIRECT_UPGRADE_CALM_MS). */
  lastJoinAt(): number;
  sendSignal(signal: PeerSignal): void;
  /** The same object every time. */
  relayTransport(): Transport;
  openDirect(id: string, events: DirectLinkEvents): DirectLink;
  newAttemptId(): string;
  /** Tells the other side over the relay that this attempt is dead (PATH frame). */
  tellAttemptDead(attemptId: string): void;
  /** Sending moves to `transport`; `resend`: frames sent on the old path may be lost, send every unacknowledged message again. */
  switchTo(transport: Transport | null, resend: boolean): void;
  stateChanged(): void;
  /** The direct link failed with the relay off: nothing reaches the peer. */
  unreachable(reason: string): void;
}
