// The first message of a socket: a session token and the client's peer secret. The peer id is
// derived from the user and that secret, so a reconnect (even after a server restart) resumes the
// same peer id, and no client can claim another user's id.

import { createHash } from 'node:crypto';
import { ChatError } from '../../shared/errors';
import { PEER_ID_CHARS } from '../../shared/limits';
import type { AuthMessage, PeerId, RoomSettings } from '../../shared/protocol';
import type { Accounts } from '../accounts/accounts';
import { checkDeviceProof } from '../accounts/deviceKeys';
import { nextGeneration, type Connection } from './connection';
import type { Presence } from './presence';

export function derivePeerId(userId: string, peerSecret: string): PeerId {
  return createHash('sha256').update(`${userId}:${peerSecret}`).digest('base64url').slice(0, PEER_ID_CHARS);
}

export interface AuthDeps {
  accounts: Accounts;
  presence: Presence;
  settings: RoomSettings;
  /** Devices (distinct peers) one account may have online at once. */
  peersPerAccountMax: number;
  /** The addresses of the cluster's live nodes, for the welcome (none for a single node). */
  nodes(): string[];
  /** Tells the other nodes of a cluster that the peer is online here. */
  announce(conn: Connection): void;
}

/** The account database is down: the client is told so and reconnects later (close code 1013, not fatal). */
function unavailable(conn: Connection, error: ChatError): false {
  conn.close('STORE_UNAVAILABLE', error.message);
  return false;
}

/** Authenticates `conn`; resolves true when it is online and welcomed. */
export async function authenticateConnection(conn: Connection, message: AuthMessage, deps: AuthDeps): Promise<boolean> {
  conn.state = 'authenticating';
  let user;
  let session;
  try {
    ({ user, session } = await deps.accounts.authenticate(message.token));
  } catch (error) {
    // Only a refused token means "log in again"; a server fault lets the client retry.
    if (!(error instanceof ChatError)) throw error;
    if (error.code === 'STORE_UNAVAILABLE') return unavailable(conn, error);
    conn.close('UNAUTHORIZED', 'Session unknown or expired: log in again.');
    return false;
  }
  // Closed (or timed out) while the session was looked up: its proof is not worth checking.
  if (conn.state !== 'authenticating' || !conn.isOpen) return false;
  try {
    // The device key: proof of possession first (it signed this session token), then bound to the account.
    checkDeviceProof(message.deviceKey, message.proof, message.token);
    await deps.accounts.bindDeviceKey(user.id, message.deviceKey, user.deviceKeys);
  } catch (error) {
    if (error instanceof ChatError && error.code === 'STORE_UNAVAILABLE') return unavailable(conn, error);
    if (!(error instanceof ChatError) || error.code !== 'BAD_KEY') throw error;
    conn.close('BAD_KEY', error.message);
    return false;
  }
  // The socket may have closed (or timed out) while the session and the key were looked up.
  if (conn.state !== 'authenticating' || !conn.isOpen) return false;
  // The session key is the peers' business (they check its proof against the device key): carried as sent.
  const sessionKey = message.sessionKey ? { sessionKey: message.sessionKey, sessionProof: message.sessionProof } : {};
  const info = { peerId: derivePeerId(user.id, message.peerSecret), username: user.username, displayName: user.displayName, deviceKey: message.deviceKey, ...sessionKey };
  // A socket resuming a peer already online (on any node) replaces it; a new peer past the cap is refused.
  if (!deps.presence.entry(info.peerId) && deps.presence.peerCountOf(user.id) >= deps.peersPerAccountMax) {
    conn.close('TOO_MANY_DEVICES', `This account already has ${deps.peersPerAccountMax} devices online. Close one, then reload.`);
    return false;
  }
  conn.goOnline({ info, userId: user.id, tokenHash: session.tokenHash, expiresAt: session.expiresAt, gen: nextGeneration() });
  const replaced = deps.presence.add(conn);
  // Same peer id: the old socket is a dead connection not noticed yet, or a duplicate tab.
  replaced?.close('REPLACED', 'This peer connected again from another socket.');
  deps.announce(conn);
  conn.sendFragments(deps.presence.welcome(info, deps.settings, deps.nodes(), message.known));
  return true;
}
