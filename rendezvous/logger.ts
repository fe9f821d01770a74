// Structured logs (pino): one JSON object a line on stderr, with a level, the time and the node,
// for a log collector. The friendly lines of `npm start` (the addresses to open) stay on stdout.

import pino from 'pino';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type Logger = pino.Logger;

export function createLogger(level: LogLevel, node?: string): Logger {
  return pino({ level, base: { pid: process.pid, ...(node ? { node } : {}) } }, pino.destination({ fd: 2, sync: true }));
}

/**
 * The server's `log(message)`: what it reports is something an operator should look at (a store
 * that cannot be written, a lost engine, a server-side fault), so it is logged as a warning.
 */
export function serverLog(logger: Logger): (message: string) => void {
  return (message) => logger.warn(message);
}
