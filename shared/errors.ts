// Typed errors with stable codes, and the one place that maps them to HTTP statuses and
// WebSocket close codes. Codes are part of the protocol: never rename one.

export const ERROR_CODES = [
  // request/message shape
  'BAD_JSON',
  'BAD_MESSAGE',
  'UNKNOWN_TYPE',
  'UNSUPPORTED_VERSION',
  'TOO_LARGE',
  'RATE_LIMITED',
  // accounts
  'INVALID_USERNAME',
  'INVALID_PASSWORD',
  'INVALID_DISPLAY_NAME',
  'INVALID_BIO',
  'USERNAME_TAKEN',
  'BAD_CREDENTIALS',
  'LOGIN_THROTTLED',
  'UNAUTHORIZED',
  'BUSY',
  'STORE_UNAVAILABLE',
  // websocket
  'AUTH_TIMEOUT',
  'ALREADY_AUTHENTICATED',
  'NOT_AUTHENTICATED',
  'BAD_ORIGIN',
  'HOST_NOT_ALLOWED',
  'UNKNOWN_PEER',
  'RELAY_DISABLED',
  'RELAY_BACKED_UP',
  'TOO_MANY_INVALID',
  'REPLACED',
  'SERVER_SHUTDOWN',
  // peer frames
  'BAD_FRAME',
  'BAD_IMAGE',
  'IMAGE_TOO_LARGE',
  'IMAGE_TOO_MANY_PIXELS',
  'HASH_MISMATCH',
  'TEXT_TOO_LONG',
  'TRANSFER_ABORTED',
  'PEER_LEFT',
  'UNREACHABLE',
  'IMAGE_TOO_MANY_FRAMES',
  // added later (codes are appended, never renamed)
  'SIGNAL_DROPPED',
  'TOO_MANY_DEVICES',
  'USERNAME_TOO_SIMILAR',
  'BAD_KEY',
  'BAD_SIGNATURE',
  // end to end (shared/e2e): a relayed payload refused, a direct link not bound to the device key
  'SEALED_ALTERED',
  'SEALED_REPLAYED',
  'SEALED_MISROUTED',
  'DIRECT_LINK_UNVERIFIED',
  // a peer presumed online after a server restart, not back yet: retry when it is (protocol 7)
  'PEER_AWAY',
  // generic
  'NOT_FOUND',
  'METHOD_NOT_ALLOWED',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && (ERROR_CODES as readonly string[]).includes(value);
}

/** An error with a stable code, safe to show to the peer that caused it. */
export class ChatError extends Error {
  readonly code: ErrorCode;
  /** Seconds the client should wait before retrying (429 / throttling). */
  readonly retryAfterSeconds?: number;
  constructor(code: ErrorCode, message: string, options: { retryAfterSeconds?: number } = {}) {
    super(message);
    this.name = 'ChatError';
    this.code = code;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** HTTP status for each code (used by the JSON API). Unlisted codes are 400. */
const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  TOO_LARGE: 413,
  RATE_LIMITED: 429,
  LOGIN_THROTTLED: 429,
  USERNAME_TAKEN: 409,
  USERNAME_TOO_SIMILAR: 409,
  BAD_CREDENTIALS: 401,
  UNAUTHORIZED: 401,
  BUSY: 503,
  STORE_UNAVAILABLE: 503,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  // The server does not answer to the name the request used (rendezvous/hostPolicy.ts).
  HOST_NOT_ALLOWED: 421,
  INTERNAL: 500,
};

export function httpStatusFor(code: ErrorCode): number {
  return HTTP_STATUS[code] ?? 400;
}

/**
 * WebSocket close codes (4000-4999 are application codes). The reason string carries the code
 * name; clients decide whether to reconnect from these.
 */
const CLOSE_CODES: Partial<Record<ErrorCode, number>> = {
  AUTH_TIMEOUT: 4001,
  UNAUTHORIZED: 4002,
  BAD_ORIGIN: 4003,
  TOO_MANY_INVALID: 4004,
  RATE_LIMITED: 4005,
  UNSUPPORTED_VERSION: 4006,
  REPLACED: 4007,
  TOO_MANY_DEVICES: 4008,
  TOO_LARGE: 1009,
  SERVER_SHUTDOWN: 1001,
  INTERNAL: 1011,
  /** The account database is unreachable (cluster mode): "try again later", the client reconnects. */
  STORE_UNAVAILABLE: 1013,
};

export function closeCodeFor(code: ErrorCode): number {
  return CLOSE_CODES[code] ?? 1008; // 1008 = policy violation
}

/** The server speaks another protocol version: the client is older (or newer) than the server and must be reloaded, not reconnected. */
export function isOutdatedCloseCode(closeCode: number): boolean {
  return closeCode === CLOSE_CODES.UNSUPPORTED_VERSION;
}

/**
 * Close codes after which a client must not reconnect with the same token: it must log in again
 * (4002, 4007), or reconnecting cannot help (4003 origin, 4006 version, 4008 too many devices).
 */
export function isFatalCloseCode(closeCode: number): boolean {
  return closeCode === 4002 || closeCode === 4003 || closeCode === 4006 || closeCode === 4007 || closeCode === 4008;
}
