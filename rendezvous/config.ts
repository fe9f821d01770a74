// config.ini: parsed with `ini` (which returns strings), then every key converted and checked.
// Unknown sections and keys are errors, so a typo never silently falls back to a default.

import { accessSync, constants, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import ini from 'ini';
import { HEARTBEAT_INTERVAL_MS, IMAGE_MAX_BYTES, PEERS_PER_ACCOUNT_MAX, REGISTRATIONS_PER_ADDRESS, WS_UNAUTHENTICATED_MAX, WS_UNAUTHENTICATED_PER_ADDRESS_MAX } from '../shared/limits';
import type { IceServerConfig, RelayMode } from '../shared/protocol';
import { ConfigError } from './configError';
import { LOG_LEVELS, type LogLevel } from './logger';

export interface Settings {
  host: string;
  port: number;
  dbPath: string;
  relay: RelayMode;
  maxImageBytes: number;
  heartbeatIntervalMs: number;
  /** Accounts one client address may register per REGISTRATION_WINDOW_MS. */
  registrationsPerAddress: number;
  /** WebSocket connections one client address may hold before they authenticate. */
  unauthenticatedPerAddress: number;
  /** WebSocket connections all addresses together may hold before they authenticate. */
  unauthenticatedTotal: number;
  /** After a restart, how long members of the saved room stay listed while they come back (ms). */
  restartGraceMs: number;
  /** Devices (distinct peers) one account may have online at once. */
  devicesOnlinePerAccount: number;
  allowedOrigins: string[];
  /** Other servers' http(s) origins the served pages may connect to (outbound; allowedOrigins is inbound). */
  connectOrigins: string[];
  /** Host names the server answers to besides IP addresses, localhost and its own names. */
  allowedHosts: string[];
  iceServers: IceServerConfig[];
  tls?: { certFile: string; keyFile: string };
  /** Addresses allowed to read /metrics ([monitoring] metrics_addresses). */
  metricsAddresses: string[];
  /** Lowest level of the JSON logs on stderr ([monitoring] log_level). */
  logLevel: LogLevel;
  /** [cluster]: empty URLs (the default) = one node with NeDB. */
  cluster: ClusterSettings;
  /** Where host, port and dbPath came from, for error messages. */
  sources: { host: string; port: string; dbPath: string };
}

export interface ClusterSettings {
  redisUrl?: string;
  postgresUrl?: string;
  nodeName?: string;
  advertisedUrl?: string;
}

/** A redis:// or rediss:// URL. */
export function parseRedisUrl(value: string): string | undefined {
  const url = value.trim();
  if (url === '') return undefined;
  if (!/^rediss?:\/\/\S+$/.test(url) || !URL.canParse(url)) throw new Error('must be a URL like redis://127.0.0.1:6379');
  return url;
}

/** A postgres:// or postgresql:// URL. */
export function parsePostgresUrl(value: string): string | undefined {
  const url = value.trim();
  if (url === '') return undefined;
  if (!/^postgres(ql)?:\/\/\S+$/.test(url) || !URL.canParse(url)) throw new Error('must be a URL like postgres://chat@127.0.0.1:5432/chatroom');
  return url;
}

/** A node name: letters, digits, _ . - (it is part of Redis keys and channel names). */
export function parseNodeName(value: string): string | undefined {
  const name = value.trim();
  if (name === '') return undefined;
  if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name)) throw new Error('must be 1-64 letters, digits, _ . or -');
  return name;
}

/** The http(s) origin clients reach a node at. */
export function parseAdvertisedUrl(value: string): string | undefined {
  const text = value.trim().replace(/\/$/, '');
  if (text === '') return undefined;
  const parsed = origins(text);
  if (parsed.length !== 1 || parsed[0] === '*') throw new Error('must be one origin like http://192.168.1.5:8080');
  return parsed[0];
}

/** Values used for keys the file does not set. */
export const DEFAULTS = { host: '0.0.0.0', port: 8080, userDb: 'users.db', heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS } as const;

type Raw = Record<string, string>;
type KeyParser = (value: string, dir: string) => unknown;

export function parsePort(value: string): number {
  if (!/^\d{1,5}$/.test(value.trim()) || Number(value) > 65_535) throw new Error('must be a port number from 0 to 65535');
  return Number(value);
}

/** A host name: letters, digits, dots and hyphens, at most 253 characters. */
const HOST_NAME = /^[A-Za-z0-9]([A-Za-z0-9.-]{0,252})$/;

export function parseHost(value: string): string {
  const host = value.trim();
  if (isIP(host) === 0 && !HOST_NAME.test(host)) throw new Error('must be an IP address or a host name');
  return host;
}

function integer(min: number, max: number): KeyParser {
  return (value) => {
    if (!/^\d+$/.test(value.trim()) || Number(value) < min || Number(value) > max) throw new Error(`must be a whole number from ${min} to ${max}`);
    return Number(value);
  };
}

function list(value: string): string[] {
  return value.split(',').map((s) => s.trim()).filter((s) => s !== '');
}

/** A comma list of http(s) origins (scheme://host[:port], nothing after), or *. */
function origins(value: string): string[] {
  return list(value).map((origin) => {
    if (origin === '*') return origin;
    if (!/^https?:\/\/[^/\s]+$/.test(origin) || URL.canParse(origin) === false) throw new Error(`"${origin}" is not an origin like http://host:port`);
    return new URL(origin).origin;
  });
}

function readableFile(value: string, dir: string): string {
  const file = path.resolve(dir, value.trim());
  try {
    accessSync(file, constants.R_OK);
  } catch {
    throw new Error(`cannot read ${file}`);
  }
  return file;
}

const SCHEMA: Record<string, Record<string, KeyParser>> = {
  ip: { chat_server_ip: parseHost },
  port: { chat_server_port: parsePort },
  storage: {
    user_db: (value, dir) => {
      if (value.trim() === '') throw new Error('must name a file');
      return path.resolve(dir, value.trim());
    },
  },
  limits: { max_image_bytes: integer(1, IMAGE_MAX_BYTES), registrations_per_address: integer(1, 1_000_000), unauthenticated_sockets_per_address: integer(1, 1_000_000), unauthenticated_sockets: integer(1, 1_000_000), devices_online_per_account: integer(1, 1_000_000) },
  heartbeat: { interval_ms: integer(100, 600_000), restart_grace_ms: integer(0, 3_600_000) },
  relay: {
    mode: (value) => {
      if (value !== 'auto' && value !== 'off' && value !== 'force') throw new Error('must be auto, off or force');
      return value;
    },
  },
  security: {
    allowed_origins: origins,
    connect_origins: origins,
    allowed_hosts: (value) =>
      list(value).map((name) => {
        if (name !== '*' && !HOST_NAME.test(name)) throw new Error(`"${name}" is not a host name like chat.lab.example`);
        return name;
      }),
  },
  tls: {
    cert_file: (value, dir) => (value.trim() === '' ? undefined : readableFile(value, dir)),
    key_file: (value, dir) => (value.trim() === '' ? undefined : readableFile(value, dir)),
  },
  monitoring: {
    log_level: (value) => {
      const level = value.trim();
      if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new Error(`must be one of ${LOG_LEVELS.join(', ')}`);
      return level;
    },
    metrics_addresses: (value) => {
      const addresses = list(value);
      for (const entry of addresses) if (entry !== '*' && isIP(entry) === 0) throw new Error(`"${entry}" is not an IP address`);
      return addresses;
    },
  },
  cluster: { redis_url: parseRedisUrl, postgres_url: parsePostgresUrl, node_name: parseNodeName, advertised_url: parseAdvertisedUrl },
  webrtc: {
    ice_servers: (value) =>
      list(value).map((url) => {
        if (!/^(stun|stuns|turn|turns):\S+$/.test(url)) throw new Error(`"${url}" is not a stun:, stuns:, turn: or turns: URL`);
        return url;
      }),
    turn_username: (value) => value.trim() || undefined,
    turn_credential: (value) => value.trim() || undefined,
  },
};

/** Reads and checks the sections of an ini text; returns the parsed values by "section.key". */
function parseIni(text: string, file: string): Map<string, { value: unknown; source: string }> {
  const parsed = ini.parse(text) as Record<string, unknown>;
  const out = new Map<string, { value: unknown; source: string }>();
  for (const [section, keys] of Object.entries(parsed)) {
    if (typeof keys !== 'object' || keys === null || Array.isArray(keys)) throw new ConfigError(`${file}: ${section}`, 'key outside of any [section]');
    const schema = SCHEMA[section];
    if (!schema) throw new ConfigError(`${file}: [${section}]`, `unknown section (known: ${Object.keys(SCHEMA).join(', ')})`);
    for (const [key, raw] of Object.entries(keys as Raw)) {
      const source = `${file}: [${section}] ${key} = ${typeof raw === 'string' ? raw : ''}`.trimEnd();
      const parse = schema[key];
      if (typeof raw !== 'string') throw new ConfigError(`${file}: [${section}] ${key}`, typeof raw === 'object' ? 'not a plain key = value line' : 'line is not "key = value"');
      if (!parse) throw new ConfigError(source, `unknown key in [${section}] (known: ${Object.keys(schema).join(', ')})`);
      try {
        out.set(`${section}.${key}`, { value: parse(raw, path.dirname(path.resolve(file))), source });
      } catch (error) {
        throw new ConfigError(source, (error as Error).message);
      }
    }
  }
  return out;
}

/** Loads a config file into Settings. `required` false: a missing file means all defaults. */
export function loadConfig(file: string, required: boolean): Settings {
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if (required || (error as NodeJS.ErrnoException).code !== 'ENOENT') throw new ConfigError(file, `cannot read the config file (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  if (text.includes('\0')) throw new ConfigError(file, 'not a text file');
  // Windows editors may save a byte-order mark, which `ini` would read as part of the first line.
  const values = parseIni(text.replace(/^\uFEFF/, ''), file);
  const get = <T>(key: string, fallback: T): T => (values.has(key) ? (values.get(key)!.value as T) ?? fallback : fallback);
  const sourceOf = (key: string, fallback: string) => values.get(key)?.source ?? fallback;
  const dir = path.dirname(path.resolve(file));
  const certFile = get<string | undefined>('tls.cert_file', undefined);
  const keyFile = get<string | undefined>('tls.key_file', undefined);
  if ((certFile === undefined) !== (keyFile === undefined)) throw new ConfigError(`${file}: [tls]`, 'set both cert_file and key_file, or neither');
  const iceUrls = get<string[]>('webrtc.ice_servers', []);
  const username = get<string | undefined>('webrtc.turn_username', undefined);
  const credential = get<string | undefined>('webrtc.turn_credential', undefined);
  return {
    host: get('ip.chat_server_ip', DEFAULTS.host),
    port: get('port.chat_server_port', DEFAULTS.port),
    dbPath: get('storage.user_db', path.resolve(dir, DEFAULTS.userDb)),
    relay: get<RelayMode>('relay.mode', 'auto'),
    maxImageBytes: get('limits.max_image_bytes', IMAGE_MAX_BYTES),
    heartbeatIntervalMs: get('heartbeat.interval_ms', DEFAULTS.heartbeatIntervalMs),
    registrationsPerAddress: get('limits.registrations_per_address', REGISTRATIONS_PER_ADDRESS),
    unauthenticatedPerAddress: get('limits.unauthenticated_sockets_per_address', WS_UNAUTHENTICATED_PER_ADDRESS_MAX),
    unauthenticatedTotal: get('limits.unauthenticated_sockets', WS_UNAUTHENTICATED_MAX),
    // Two intervals by default, as shared/limits.ts PRESENCE_PRESUMED_GRACE_MS is for the default interval.
    restartGraceMs: get('heartbeat.restart_grace_ms', 2 * get('heartbeat.interval_ms', DEFAULTS.heartbeatIntervalMs)),
    devicesOnlinePerAccount: get('limits.devices_online_per_account', PEERS_PER_ACCOUNT_MAX),
    allowedOrigins: get<string[]>('security.allowed_origins', []),
    connectOrigins: get<string[]>('security.connect_origins', []),
    allowedHosts: get<string[]>('security.allowed_hosts', []),
    iceServers: iceUrls.map((urls) => (urls.startsWith('turn') && username !== undefined ? { urls, username, credential: credential ?? '' } : { urls })),
    tls: certFile && keyFile ? { certFile, keyFile } : undefined,
    metricsAddresses: get<string[]>('monitoring.metrics_addresses', ['127.0.0.1', '::1']),
    logLevel: get<LogLevel>('monitoring.log_level', 'info'),
    cluster: {
      redisUrl: get<string | undefined>('cluster.redis_url', undefined),
      postgresUrl: get<string | undefined>('cluster.postgres_url', undefined),
      nodeName: get<string | undefined>('cluster.node_name', undefined),
      advertisedUrl: get<string | undefined>('cluster.advertised_url', undefined),
    },
    sources: {
      host: sourceOf('ip.chat_server_ip', `${file}: default host ${DEFAULTS.host}`),
      port: sourceOf('port.chat_server_port', `${file}: default port ${DEFAULTS.port}`),
      dbPath: sourceOf('storage.user_db', `${file}: default user_db ${DEFAULTS.userDb}`),
    },
  };
}
