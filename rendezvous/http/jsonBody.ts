// Reads a JSON request body with a byte cap, and writes JSON responses and API errors.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiErrorBody } from '../../shared/api';
import { ChatError, httpStatusFor } from '../../shared/errors';
import { HTTP_JSON_BODY_MAX_BYTES } from '../../shared/limits';
import { wasCutByServer } from './slowClients';

/**
 * The request body ended early: nobody to answer. The client went away (one line for the log), or
 * the server cut a slow client itself (slowClients.ts: already answered 408, nothing to log).
 */
export class RequestAborted extends Error {
  constructor(
    address: string | undefined,
    readonly byServer: boolean,
  ) {
    super(`a request body was aborted by the client (${address ?? 'unknown address'})`);
    this.name = 'RequestAborted';
  }
}

export async function readJsonBody(req: IncomingMessage, maxBytes = HTTP_JSON_BODY_MAX_BYTES): Promise<Record<string, unknown>> {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') throw new ChatError('BAD_JSON', 'Content-Type must be application/json.');
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > maxBytes) throw new ChatError('TOO_LARGE', `Request body over ${maxBytes} bytes.`);
  const chunks: Buffer[] = [];
  let size = 0;
  const address = req.socket.remoteAddress; // gone once the socket is
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > maxBytes) throw new ChatError('TOO_LARGE', `Request body over ${maxBytes} bytes.`);
      chunks.push(chunk);
    }
  } catch (error) {
    if (error instanceof ChatError) throw error;
    throw new RequestAborted(address, wasCutByServer(req.socket));
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new ChatError('BAD_JSON', 'Request body is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ChatError('BAD_JSON', 'Request body must be a JSON object.');
  return parsed as Record<string, unknown>;
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), 'Cache-Control': 'no-store' });
  res.end(text);
}

/** Sends a ChatError as `{error}`; anything else is logged and answered as a generic 500. */
export function sendError(res: ServerResponse, error: unknown, log: (message: string) => void): void {
  if (error instanceof RequestAborted) {
    if (!error.byServer) log(`http: ${error.message}`);
    res.destroy();
    return;
  }
  const chatError = error instanceof ChatError ? error : new ChatError('INTERNAL', 'Internal server error.');
  if (!(error instanceof ChatError)) log(`http: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body: ApiErrorBody = { error: { code: chatError.code, message: chatError.message } };
  if (chatError.retryAfterSeconds !== undefined) {
    body.error.retryAfterSeconds = chatError.retryAfterSeconds;
    res.setHeader('Retry-After', String(chatError.retryAfterSeconds));
  }
  // A body we refused to read must not be parsed as the next request on this connection.
  if (chatError.code === 'TOO_LARGE') res.setHeader('Connection', 'close');
  sendJson(res, httpStatusFor(chatError.code), body);
}
