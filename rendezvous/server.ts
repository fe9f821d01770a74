// startServer: one HTTP(S) server for the API, the static client and the WebSocket hub.

import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { HEARTBEAT_INTERVAL_MS, IMAGE_MAX_BYTES, LISTEN_BACKLOG, PEERS_PER_ACCOUNT_MAX, PRESENCE_PRESUMED_GRACE_MS, WS_AUTH_DEADLINE_MS, WS_UNAUTHENTICATED_MAX, WS_UNAUTHENTICATED_PER_ADDRESS_MAX } from '../shared/limits';
import type { IceServerConfig } from '../shared/protocol';
import { Accounts } from './accounts/accounts';
import { LoginThrottle, type ThrottleLimits } from './accounts/loginThrottle';
import { PasswordHasher, type HasherLimits } from './accounts/passwordHasher';
import { RegistrationThrottle, type RegistrationLimits } from './accounts/registrationThrottle';
import { createRequestHandler } from './http/router';
import { answerClientError, httpServerOptions, type HttpTimeouts } from './http/slowClients';
import { StaticFiles } from './http/staticFiles';
import { HostPolicy, machineNames } from './hostPolicy';
import { OriginPolicy } from './originPolicy';
import { parseAddressList } from './http/ops';
import { ServerMetrics } from './metrics';
import { openEngines } from './engines';
import { Hub } from './ws/hub';
import { snapshotPath } from './ws/presenceSnapshot';

/** Cluster mode (config.ini [cluster]): both URLs empty is one node with NeDB. */
export interface ClusterOptions {
  /** redis://host:port: presence, signaling, relay and counters shared with the other nodes. */
  redisUrl?: string;
  /** postgres://user@host:port/db: accounts and sessions (instead of the NeDB files). */
  postgresUrl?: string;
  /** This node's name, unique in the cluster (default: host name and port). */
  nodeName?: string;
  /** The http(s) origin clients reach this node at (the welcome lists every node's). */
  advertisedUrl?: string;
  /** Key prefix in Redis (several rooms on one Redis); default "chatroom:". */
  redisPrefix?: string;
}

export interface ServerOptions {
  host: string;
  port: number;
  dbPath: string;
  cluster?: ClusterOptions;
  relay?: 'auto' | 'off' | 'force';
  maxImageBytes?: number;
  heartbeatIntervalMs?: number;
  authDeadlineMs?: number;
  /** Unauthenticated WebSocket connections per client address; WS_UNAUTHENTICATED_PER_ADDRESS_MAX when omitted (tests lower it, the load bench raises it). */
  unauthenticatedPerAddressMax?: number;
  /** Unauthenticated WebSocket connections held at once from all addresses (default WS_UNAUTHENTICATED_MAX). */
  unauthenticatedMax?: number;
  /** Devices (distinct peers) one account may have online at once; PEERS_PER_ACCOUNT_MAX when omitted (the load bench raises it). */
  peersPerAccountMax?: number;
  iceServers?: IceServerConfig[];
  /** Extra allowed Origins; same-origin and no-Origin clients are always allowed; '*' allows all. */
  allowedOrigins?: string[];
  /** Other servers' http(s) origins its pages may connect to (Content-Security-Policy connect-src); '*' allows any. */
  connectOrigins?: string[];
  /** Host names the server answers to beyond IP addresses, localhost and its own names (hostPolicy.ts); '*' allows all. */
  allowedHosts?: string[];
  /** Built client folder, default <repo>/dist. */
  staticDir?: string;
  sessionTtlMs?: number;
  /** Live sessions per account; SESSIONS_PER_ACCOUNT_MAX when omitted (tests lower it). */
  sessionsPerAccountMax?: number;
  tls?: { certFile: string; keyFile: string };
  /** Login throttling limits; the defaults of shared/limits.ts when omitted (tests lower them). */
  loginLimits?: Partial<ThrottleLimits>;
  /** Registrations per client address; the defaults of shared/limits.ts when omitted (tests lower them, the load bench raises them). */
  registrationLimits?: Partial<RegistrationLimits>;
  /** Password-hash queue limits; the defaults of shared/limits.ts when omitted (tests lower them). */
  hasherLimits?: Partial<HasherLimits>;
  /** Addresses allowed to read /metrics ('*': any); loopback only when omitted. */
  metricsAddresses?: string[];
  /** How long members of the saved room are presumed online after a restart (ms); PRESENCE_PRESUMED_GRACE_MS when omitted (tests shorten it). */
  presumedGraceMs?: number;
  /** Where unexpected errors are reported; default stderr. */
  log?: (message: string) => void;
  /** How long a client may take to send a request (tests shorten them). */
  httpTimeouts?: Partial<HttpTimeouts>;
}

/** What the server holds right now (read-only; tests check that dead clients are released). */
export interface ServerStats {
  /** TCP connections open on the listening socket, WebSocket ones included. */
  sockets: number;
  /** WebSocket connections the hub tracks, authenticated or not. */
  wsConnections: number;
  /** Peers in the presence list. */
  online: number;
}

export interface RunningServer {
  host: string;
  port: number;
  /** Cluster mode: this node's name (undefined on a single node). */
  nodeName?: string;
  httpUrl: string;
  wsUrl: string;
  stats(): Promise<ServerStats>;
  /** Stops accepting, tells clients it is going away, then writes the stores out compacted. */
  close(): Promise<void>;
}

export const DEFAULT_STATIC_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

function listen(server: http.Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const log = options.log ?? ((message: string) => process.stderr.write(`chatroom: ${message}\n`));
  const cluster = options.cluster ?? {};
  const engines = await openEngines({ dbPath: options.dbPath, port: options.port, cluster, sessionTtlMs: options.sessionTtlMs, sessionsPerAccountMax: options.sessionsPerAccountMax, log });
  const { store, windows, broker } = engines;
  const metrics = new ServerMetrics();
  const accounts = new Accounts(store.users, store.sessions, new PasswordHasher(options.hasherLimits, metrics), new LoginThrottle(options.loginLimits, windows), new RegistrationThrottle(options.registrationLimits, windows));
  const nodeOrigins = () => broker?.liveNodes().map((n) => n.url) ?? [];
  const origins = new OriginPolicy(options.allowedOrigins, nodeOrigins);
  const hosts = new HostPolicy(options.allowedHosts ?? [], machineNames(hostname(), options.host));
  const hub = new Hub({
    broker,
    stats: metrics,
    accounts,
    origins,
    hosts,
    settings: { maxImageBytes: options.maxImageBytes ?? IMAGE_MAX_BYTES, relay: options.relay ?? 'auto', iceServers: options.iceServers ?? [] },
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? HEARTBEAT_INTERVAL_MS,
    authDeadlineMs: options.authDeadlineMs ?? WS_AUTH_DEADLINE_MS,
    unauthenticatedPerAddressMax: options.unauthenticatedPerAddressMax ?? WS_UNAUTHENTICATED_PER_ADDRESS_MAX,
    unauthenticatedMax: options.unauthenticatedMax ?? WS_UNAUTHENTICATED_MAX,
    peersPerAccountMax: options.peersPerAccountMax ?? PEERS_PER_ACCOUNT_MAX,
    roomFile: broker ? undefined : snapshotPath(options.dbPath),
    presumedGraceMs: options.presumedGraceMs ?? PRESENCE_PRESUMED_GRACE_MS,
    log,
  });
  metrics.attach({ connections: () => hub.connectionCount, peersHere: () => hub.presence.size, peersInRoom: () => hub.presence.roomSize, engines: engines.probes });
  accounts.onSessionsDropped = (tokenHashes) => tokenHashes.forEach((tokenHash) => hub.closeSession(tokenHash));
  const handler = createRequestHandler({
    accounts,
    origins,
    hosts,
    staticFiles: new StaticFiles(options.staticDir ?? DEFAULT_STATIC_DIR),
    connectOrigins: options.connectOrigins ?? [],
    clusterOrigins: nodeOrigins,
    ops: { metrics, engines: engines.probes, metricsAddresses: parseAddressList(options.metricsAddresses ?? ['127.0.0.1', '::1']) },
    onLogout: (session) => hub.closeSession(session.tokenHash),
    log,
  });
  const timeouts = httpServerOptions(options.httpTimeouts);
  const server = options.tls
    ? https.createServer({ ...timeouts, cert: readFileSync(options.tls.certFile), key: readFileSync(options.tls.keyFile) }, handler)
    : http.createServer(timeouts, handler);
  server.on('clientError', answerClientError);
  hub.attach(server);
  let address: AddressInfo;
  try {
    await hub.restoreRoom();
    address = await listen(server, options.host, options.port);
  } catch (error) {
    await hub.close();
    await engines.close().catch(() => {});
    throw error;
  }
  const scheme = options.tls ? 'https' : 'http';
  const hostForUrl = urlHost(options.host);
  if (broker) {
    // Known only now when the port was 0: the address defaults to the one listened on.
    if (!cluster.advertisedUrl) broker.advertise(`${scheme}://${hostForUrl}:${address.port}`);
    try {
      await hub.start();
    } catch (error) {
      server.close();
      await hub.close();
      await engines.close().catch(() => {});
      throw error;
    }
  }
  let closing: Promise<void> | undefined;
  return {
    host: options.host,
    port: address.port,
    nodeName: broker?.node,
    httpUrl: `${scheme}://${hostForUrl}:${address.port}`,
    wsUrl: `${scheme === 'https' ? 'wss' : 'ws'}://${hostForUrl}:${address.port}/ws`,
    stats() {
      return new Promise((resolve, reject) =>
        server.getConnections((error, sockets) => (error ? reject(error) : resolve({ sockets, wsConnections: hub.connectionCount, online: hub.presence.size }))),
      );
    },
    close() {
      closing ??= (async () => {
        const httpClosed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        await hub.close();
        server.closeAllConnections();
        await engines.close();
        await httpClosed;
      })();
      return closing;
    },
  };
}
