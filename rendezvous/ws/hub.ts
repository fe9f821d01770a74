// The WebSocket endpoint /ws: upgrade with Host and Origin checks, auth deadline, and dispatch of each
// message. A handler never throws out of here, and one client's bad input only affects itself.

import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import { ChatError, httpStatusFor, type ErrorCode } from '../../shared/errors';
import { PRESENCE_FLUSH_MS, WS_CLOSE_TIMEOUT_MS, WS_FLOOD_MESSAGES_PER_WINDOW, WS_FLOOD_WINDOW_MS, WS_INVALID_MESSAGES_MAX, WS_MAX_PAYLOAD_BYTES } from '../../shared/limits';
import { parseClientMessage, type AuthMessage, type ClientMessage, type RoomSettings } from '../../shared/protocol';
import type { Accounts } from '../accounts/accounts';
import type { Broker } from '../cluster/broker';
import type { TrafficStats } from '../metrics';
import type { HostPolicy } from '../hostPolicy';
import type { OriginPolicy } from '../originPolicy';
import { authenticateConnection, type AuthDeps } from './auth';
import { ClusterInbox } from './clusterInbox';
import { Connection } from './connection';
import { Heartbeat } from './heartbeat';
import { PendingPerAddress } from './pendingPerAddress';
import { LocalSockets } from './localSockets';
import { LOCAL_NODE, Presence } from './presence';
import { Relay } from './relay';
import { forwardSignal } from './signaling';
import { readSnapshot } from './presenceSnapshot';
import { RoomSaver } from './roomSaver';

/** setTimeout's largest delay; a longer session is re-checked at the next auth anyway. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** How long closing sockets get to finish the close handshake at shutdown (ms). */
const SHUTDOWN_GRACE_MS = 1_000;
/** Refusals this far apart (ms) belong to separate rate-limit episodes. */
const RATE_LIMIT_EPISODE_GAP_MS = 1_000;

/** Answers an upgrade that gets no WebSocket with the bare HTTP status of `code` (errors.ts), and closes. */
function refuseUpgrade(socket: Duplex, code: ErrorCode): void {
  const status = httpStatusFor(code);
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

export interface HubOptions {
  accounts: Accounts;
  origins: OriginPolicy;
  hosts: HostPolicy;
  settings: RoomSettings;
  heartbeatIntervalMs: number;
  authDeadlineMs: number;
  /** Unauthenticated WebSocket connections one client address may hold at once. */
  unauthenticatedPerAddressMax: number;
  /** Unauthenticated WebSocket connections held at once from all addresses. */
  unauthenticatedMax: number;
  /** Devices (distinct peers) one account may have online at once. */
  peersPerAccountMax: number;
  /** Cluster mode: the other nodes, reached through this broker (started by the hub). */
  broker?: Broker;
  /** Where relay and signal counts go (metrics). */
  stats?: TrafficStats;
  /** A single node: the saved-room file (presenceSnapshot.ts) restored at start and kept up to date. */
  roomFile?: string;
  /** How long members of the restored room are presumed online while they come back (ms). */
  presumedGraceMs: number;
  log(message: string): void;
}

export class Hub {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: WS_MAX_PAYLOAD_BYTES, clientTracking: false });
  private readonly all = new Set<Connection>();
  readonly presence: Presence;
  private readonly relay: Relay;
  private readonly inbox: ClusterInbox | undefined;
  private readonly heartbeat: Heartbeat;
  private readonly pending: PendingPerAddress;
  private saver: RoomSaver | undefined;
  /** Gives back a connection's unauthenticated slot (a no-op once given back). */
  private readonly releasePending = new WeakMap<Connection, () => void>();

  constructor(private readonly options: HubOptions) {
    const broker = options.broker;
    this.presence = new Presence(PRESENCE_FLUSH_MS, new LocalSockets(), broker?.node ?? LOCAL_NODE);
    this.relay = new Relay(options.settings.relay, this.presence, broker, options.stats);
    // Another node's count of an address, unchanged for longer than any unauthenticated socket lives, is stale.
    this.pending = new PendingPerAddress(options.unauthenticatedPerAddressMax, options.authDeadlineMs + WS_CLOSE_TIMEOUT_MS);
    if (broker) {
      this.pending.onChange = (address, count) => broker.reportPending(address, count);
      this.inbox = new ClusterInbox(
        this.presence,
        this.relay,
        broker,
        (tokenHash) => this.closeLocalSession(tokenHash),
        (conn) => conn.close('REPLACED', 'This peer connected again from another socket.'),
        this.pending,
      );
    }
    this.heartbeat = new Heartbeat(options.heartbeatIntervalMs);
  }

  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      socket.on('error', () => socket.destroy());
      const path = (req.url ?? '').split('?')[0];
      if (path !== '/ws') return refuseUpgrade(socket, 'NOT_FOUND');
      // A rebound name (hostPolicy.ts) gets no socket at all: refused before the upgrade.
      if (!this.options.hosts.allows(req.headers.host)) return refuseUpgrade(socket, 'HOST_NOT_ALLOWED');
      // A socket already gone may have emitted 'close' before anyone listened: it takes no slot.
      if (socket.destroyed) return;
      // The slot is taken before the upgrade and held until the socket authenticates or closes;
      // a host at the cap is refused before any WebSocket is made for it.
      // A crowd reconnecting at once is let in as fast as it can be authenticated; the rest back off.
      if (this.pending.totalHeld >= this.options.unauthenticatedMax) return refuseUpgrade(socket, 'BUSY');
      const release = this.pending.take(req.socket.remoteAddress ?? 'unknown');
      if (!release) return refuseUpgrade(socket, 'RATE_LIMITED');
      // Every other end (failed handshake, auth deadline, bad auth, client gone, shutdown) closes the socket.
      socket.once('close', release);
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req, release));
    });
  }

  /**
   * A single node: presumes the members of the saved room online while they come back, and keeps
   * the file up to date from now on. (A cluster keeps its room in Redis across one node's restart.)
   */
  async restoreRoom(): Promise<void> {
    const file = this.options.roomFile;
    if (!file || this.options.broker) return;
    // A grace of 0 ([heartbeat] restart_grace_ms): the room starts empty, as it did before rooms were saved.
    const saved = this.options.presumedGraceMs > 0 ? await readSnapshot(file, (why) => this.options.log(why)) : [];
    this.presence.restore(saved, this.options.presumedGraceMs);
    if (saved.length > 0) this.options.log(`restored a room of ${saved.length} peers, presumed online for ${this.options.presumedGraceMs / 1000} s while they come back`);
    this.saver = new RoomSaver(file, this.presence, this.options.log);
    this.saver.start();
  }

  /** Cluster mode: joins the other nodes (publishes this node's peers, learns theirs). */
  async start(): Promise<void> {
    const peers = () => [...this.presence.local.values()].map((conn) => this.presence.entryOf(conn));
    await this.options.broker?.start(this.inbox!, peers);
  }

  /** WebSocket connections held right now, authenticated or not. */
  get connectionCount(): number {
    return this.all.size;
  }

  /** Closes the sockets of a revoked session (logout), on every node. */
  closeSession(tokenHash: string): void {
    this.presence.dropSession(tokenHash);
    this.closeLocalSession(tokenHash);
    this.options.broker?.closeSession(tokenHash);
  }

  private closeLocalSession(tokenHash: string): void {
    for (const conn of this.presence.connectionsOfToken(tokenHash)) conn.close('UNAUTHORIZED', 'Logged out.');
  }

  /** Tells every client the server is going away; sockets that do not close in time are cut. */
  async close(): Promise<void> {
    // Saved while everyone is still online: they are presumed back after the restart.
    await this.saver?.close();
    this.heartbeat.close();
    this.relay.close();
    this.inbox?.close();
    this.presence.close();
    const sockets = [...this.all].map((conn) => conn.ws);
    const allClosed = Promise.all(sockets.map((ws) => new Promise((resolve) => (ws.readyState === ws.CLOSED ? resolve(null) : ws.once('close', resolve)))));
    for (const conn of this.all) conn.close('SERVER_SHUTDOWN', 'The server is shutting down.');
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([allClosed, new Promise((resolve) => (timer = setTimeout(resolve, SHUTDOWN_GRACE_MS)))]);
    clearTimeout(timer);
    for (const ws of sockets) ws.terminate();
    this.all.clear();
  }

  private accept(ws: WebSocket, req: IncomingMessage, release: () => void): void {
    const conn = new Connection(ws, req.socket.remoteAddress ?? 'unknown');
    this.all.add(conn);
    this.releasePending.set(conn, release);
    // ws reports protocol errors (oversized frame -> 1009, bad UTF-8 -> 1007) here and closes.
    ws.on('error', () => {});
    const deadline = setTimeout(() => {
      if (conn.state !== 'online') conn.close('AUTH_TIMEOUT', 'No valid auth message in time.');
    }, this.options.authDeadlineMs);
    const gone = () => {
      clearTimeout(deadline);
      clearTimeout(conn.expiryTimer);
      this.heartbeat.forget(conn);
      this.relay.forget(conn);
      // Others hear "left" now, not after a close handshake an unresponsive peer may never finish.
      if (conn.online && this.presence.remove(conn)) this.options.broker?.announceLeave(this.presence.entryOf(conn));
    };
    conn.onClosing = gone;
    conn.onClosed(() => {
      conn.markClosed();
      this.all.delete(conn);
      gone();
    });
    if (!this.options.origins.allowsUpgrade(req.headers.origin, req.headers.host)) {
      conn.close('BAD_ORIGIN', 'This page\'s origin may not connect to this server.');
      return;
    }
    this.heartbeat.watch(conn);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      try {
        this.onMessage(conn, data, isBinary);
      } catch (error) {
        this.options.log(`ws: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        // A server bug: the client still gets an answer (and its message is not counted against it).
        conn.sendError('INTERNAL', 'The server failed on this message.');
      }
    });
  }

  private onMessage(conn: Connection, data: Buffer, isBinary: boolean): void {
    if (conn.state === 'closed') return;
    if (conn.flood.count()) {
      conn.close('RATE_LIMITED', `More than ${WS_FLOOD_MESSAGES_PER_WINDOW} messages in ${WS_FLOOD_WINDOW_MS / 1000} s.`);
      return;
    }
    if (!conn.bucket.take()) return this.rateLimited(conn);
    try {
      if (isBinary) {
        if (conn.state !== 'online') throw new ChatError('NOT_AUTHENTICATED', 'Authenticate first.');
        this.relay.forward(conn, data);
        return;
      }
      this.dispatch(conn, parseClientMessage(data.toString('utf8')));
    } catch (error) {
      if (!(error instanceof ChatError)) throw error;
      this.invalid(conn, error);
    }
  }

  private dispatch(conn: Connection, message: ClientMessage): void {
    if (message.type === 'auth') {
      if (conn.state === 'online') throw new ChatError('ALREADY_AUTHENTICATED', 'This socket is already authenticated.');
      if (conn.state !== 'pending') throw new ChatError('NOT_AUTHENTICATED', 'Authentication is in progress.');
      void this.authenticate(conn, message);
      return;
    }
    if (conn.state !== 'online') throw new ChatError('NOT_AUTHENTICATED', 'Authenticate first.');
    if (message.type === 'keys') {
      void this.answerKeys(conn, message.keys);
      return;
    }
    forwardSignal(conn, message, this.presence, this.options.broker, this.options.stats);
  }

  /** Who owns these device keys: asked by a peer in the room (this socket is online) to verify history. */
  private async answerKeys(conn: Connection, keys: string[]): Promise<void> {
    try {
      const owners = await this.options.accounts.ownersOfKeys(keys);
      if (conn.state === 'online') conn.send({ type: 'keys', owners });
    } catch (error) {
      this.options.log(`ws keys: ${error instanceof Error ? error.message : String(error)}`);
      if (conn.state === 'online') conn.sendError('STORE_UNAVAILABLE', 'The account store cannot be read right now.');
    }
  }

  private async authenticate(conn: Connection, message: AuthMessage): Promise<void> {
    try {
      const broker = this.options.broker;
      const deps: AuthDeps = {
        accounts: this.options.accounts,
        presence: this.presence,
        settings: this.options.settings,
        peersPerAccountMax: this.options.peersPerAccountMax,
        nodes: () => broker?.liveNodes().map((n) => n.url) ?? [],
        announce: (online) => broker?.announceJoin(this.presence.entryOf(online)),
      };
      if (!(await authenticateConnection(conn, message, deps))) return;
      this.releasePending.get(conn)?.();
      const remaining = Math.min(conn.online!.expiresAt - Date.now(), MAX_TIMER_MS);
      conn.expiryTimer = setTimeout(() => conn.close('UNAUTHORIZED', 'Session expired: log in again.'), Math.max(0, remaining));
    } catch (error) {
      this.options.log(`ws auth: ${error instanceof Error ? error.message : String(error)}`);
      conn.close('INTERNAL', 'Authentication failed on the server.');
    }
  }

  private invalid(conn: Connection, error: ChatError): void {
    if (error.code === 'UNSUPPORTED_VERSION') {
      conn.close('UNSUPPORTED_VERSION', error.message);
      return;
    }
    conn.invalidMessages++;
    if (conn.invalidMessages > WS_INVALID_MESSAGES_MAX) {
      conn.close('TOO_MANY_INVALID', `More than ${WS_INVALID_MESSAGES_MAX} invalid messages.`);
      return;
    }
    conn.sendError(error.code, error.message);
  }

  /** Refuses one message over the rate; a socket that goes on is closed by the flood meter. */
  private rateLimited(conn: Connection): void {
    const now = performance.now();
    // One error per episode of refusals (an episode ends after a quiet second), not one per message.
    if (now - conn.lastRateLimitedAt > RATE_LIMIT_EPISODE_GAP_MS) conn.sendError('RATE_LIMITED', 'Too many messages: slow down.');
    conn.lastRateLimitedAt = now;
  }
}
