// Headers sent on every HTTP response: no inline script, no framing, no MIME sniffing, and
// connections (fetch, WebSocket) only to this server and the servers config.ini names.

import type { ServerResponse } from 'node:http';

const FIXED_DIRECTIVES = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-ancestors 'none'",
];

/**
 * The connect-src sources for the outbound origins of config.ini ([security] connect_origins): each
 * http(s) origin and its ws(s) twin, since the page talks to another server over both. '*' keeps
 * the old "any host" policy.
 */
export function outboundSources(connectOrigins: readonly string[]): string[] {
  if (connectOrigins.includes('*')) return ['ws:', 'wss:', 'http:', 'https:'];
  return connectOrigins.flatMap((origin) => [origin, origin.replace(/^http/, 'ws')]);
}

/**
 * The Content-Security-Policy of a response. connect-src: 'self', the page's own host over ws and
 * wss (named explicitly: some browsers do not count a WebSocket to the same host as 'self'), and
 * the outbound sources. `host` is the request's Host header, only when the host policy allows it.
 */
export function contentSecurityPolicy(host: string | undefined, outbound: readonly string[]): string {
  const connect = ["'self'", ...(host ? [`ws://${host}`, `wss://${host}`] : []), ...outbound];
  return [...FIXED_DIRECTIVES.slice(0, 4), `connect-src ${connect.join(' ')}`, ...FIXED_DIRECTIVES.slice(4)].join('; ');
}

export function setSecurityHeaders(res: ServerResponse, host: string | undefined, outbound: readonly string[]): void {
  res.setHeader('Content-Security-Policy', contentSecurityPolicy(host, outbound));
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
}
