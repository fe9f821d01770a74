// Limits on how long a client may take to send a request, and the answer to a request the HTTP
// parser refused. A slowloris client (headers or body trickled in) is cut with a 408 instead of
// holding a socket for as long as it likes.

import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';

export interface HttpTimeouts {
  /** All request headers must arrive within this (ms). */
  headersMs: number;
  /** The whole request, body included, within this (ms). */
  requestMs: number;
  /** How often open requests are checked against those limits (ms): the cut comes up to this late. */
  checkIntervalMs: number;
}

/** How long a refused client gets to read its 4xx before the socket is destroyed (ms). */
const ANSWER_LINGER_MS = 1_000;

/** Sockets this server cut for being too slow: the request bodies read on them end early, expectedly. */
const cutByServer = new WeakSet<object>();

/** True when the server itself cut this socket (answerClientError), so an unfinished body is no news. */
export function wasCutByServer(socket: object): boolean {
  return cutByServer.has(socket);
}

export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = { headersMs: 10_000, requestMs: 30_000, checkIntervalMs: 1_000 };

/** Options of http(s).createServer for these timeouts (the check interval can only be set there). */
export function httpServerOptions(timeouts: Partial<HttpTimeouts> = {}): { headersTimeout: number; requestTimeout: number; connectionsCheckingInterval: number } {
  const t = { ...DEFAULT_HTTP_TIMEOUTS, ...timeouts };
  return { headersTimeout: t.headersMs, requestTimeout: t.requestMs, connectionsCheckingInterval: t.checkIntervalMs };
}

function clientErrorStatus(error: NodeJS.ErrnoException): number {
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 408;
  if (error.code === 'HPE_HEADER_OVERFLOW') return 431;
  return 400;
}

/** The 'clientError' handler: a 4xx when the socket can still take one, else just close it. */
export function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  const responding = (socket as Duplex & { _httpMessage?: { headersSent: boolean } })._httpMessage;
  if (!socket.writable || responding?.headersSent || error.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const status = clientErrorStatus(error);
  // The server's own request timeout (a slow body): the body read on it ends early by our doing. A
  // client that went away mid-body comes here too (HPE_INVALID_EOF_STATE), and that one is logged.
  if (error.code === 'ERR_HTTP_REQUEST_TIMEOUT') cutByServer.add(socket);
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  // A client that does not read its answer must not keep the socket either.
  setTimeout(() => socket.destroy(), ANSWER_LINGER_MS).unref();
}
