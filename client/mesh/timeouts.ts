// Timing knobs of the mesh, defaulting to the named limits. Tests shorten them.

import {
  DIRECT_CONNECT_TIMEOUT_MS,
  DIRECT_DISCONNECT_GRACE_MS,
  DIRECT_QUIET_GIVE_UP_MS,
  DIRECT_RETRY_FIRST_MS,
  DIRECT_RETRY_MAX_MS,
  DIRECT_UPGRADE_CALM_MS,
  DIRECT_UPGRADE_WAIT_MAX_MS,
  INCOMING_TRANSFER_IDLE_MS,
  LINK_HEARTBEAT_MISSES,
  LINK_HEARTBEAT_MS,
  LINK_IDLE_PING_MS,
  RECONNECT_FIRST_MS,
  RECONNECT_MAX_MS,
} from '../../shared/limits';

export interface MeshTimeouts {
  directConnectMs: number;
  disconnectGraceMs: number;
  heartbeatMs: number;
  heartbeatMisses: number;
  /** Relay allowed: an idle direct link is pinged after this long with nothing written (LINK_IDLE_PING_MS). */
  idlePingMs: number;
  /** Relay allowed: how long a quiet link may stay silent before it is torn down. */
  quietGiveUpMs: number;
  retryFirstMs: number;
  retryMaxMs: number;
  /** Relay allowed: direct attempts start once no peer joined for this long (DIRECT_UPGRADE_CALM_MS)... */
  upgradeCalmMs: number;
  /** ...or this long after the pair appeared, whichever comes first (DIRECT_UPGRADE_WAIT_MAX_MS). */
  upgradeWaitMaxMs: number;
  reconnectFirstMs: number;
  reconnectMaxMs: number;
  /** After a signaling reconnect, how long a peer missing from the welcome keeps its pair (its direct link may be fine). */
  rejoinGraceMs: number;
  incomingIdleMs: number;
  /** Unacknowledged messages are sent again after this long with nothing left to send and no ack (a relay may drop frames). */
  retransmitMs: number;
}

export const DEFAULT_TIMEOUTS: MeshTimeouts = {
  directConnectMs: DIRECT_CONNECT_TIMEOUT_MS,
  disconnectGraceMs: DIRECT_DISCONNECT_GRACE_MS,
  heartbeatMs: LINK_HEARTBEAT_MS,
  heartbeatMisses: LINK_HEARTBEAT_MISSES,
  idlePingMs: LINK_IDLE_PING_MS,
  quietGiveUpMs: DIRECT_QUIET_GIVE_UP_MS,
  retryFirstMs: DIRECT_RETRY_FIRST_MS,
  retryMaxMs: DIRECT_RETRY_MAX_MS,
  upgradeCalmMs: DIRECT_UPGRADE_CALM_MS,
  upgradeWaitMaxMs: DIRECT_UPGRADE_WAIT_MAX_MS,
  reconnectFirstMs: RECONNECT_FIRST_MS,
  reconnectMaxMs: RECONNECT_MAX_MS,
  rejoinGraceMs: RECONNECT_MAX_MS,
  incomingIdleMs: INCOMING_TRANSFER_IDLE_MS,
  retransmitMs: DIRECT_DISCONNECT_GRACE_MS,
};
