// Every HTTP request: security headers first, the Host check (hostPolicy.ts), then /api or a static
// file. No handler error escapes: a failure becomes a response (or a dropped connection when
// headers are already out).

import type { IncomingMessage, ServerResponse } from 'node:http';
import { ChatError, httpStatusFor } from '../../shared/errors';
import type { HostPolicy } from '../hostPolicy';
import { handleApi, type ApiDeps } from './api';
import { handleOps, OPS_PATHS, type OpsDeps } from './ops';
import { sendError } from './jsonBody';
import { outboundSources, setSecurityHeaders } from './securityHeaders';
import type { StaticFiles } from './staticFiles';

export interface RouterDeps extends ApiDeps {
  staticFiles: StaticFiles;
  hosts: HostPolicy;
  /** Other servers' http(s) origins the page may connect to (config [security] connect_origins). */
  connectOrigins: readonly string[];
  /** Cluster mode: the live nodes' origins, which pages may connect to as well. */
  clusterOrigins?: () => readonly string[];
  /** /healthz, /readyz and /metrics. */
  ops: OpsDeps;
}

export const HOST_REFUSED_MESSAGE =
  'This ChatRoom server does not answer to this host name. Open it by its IP address, or add the name to [security] allowed_hosts in config.ini.';

/** Path part of a request target, still percent-encoded. */
function rawPathOf(url: string | undefined): string {
  const target = url ?? '/';
  const end = target.search(/[?#]/);
  return end < 0 ? target : target.slice(0, end);
}

export function createRequestHandler(deps: RouterDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const outbound = outboundSources(deps.connectOrigins);
  return (req, res) => {
    const hostAllowed = deps.hosts.allows(req.headers.host);
    const nodes = deps.clusterOrigins?.() ?? [];
    setSecurityHeaders(res, hostAllowed ? req.headers.host : undefined, nodes.length > 0 ? [...outbound, ...outboundSources(nodes)] : outbound);
    const rawPath = rawPathOf(req.url);
    if (!hostAllowed) return refuseHost(res, rawPath, deps.log);
    const work =
      rawPath === '/api' || rawPath.startsWith('/api/')
        ? handleApi(req, res, rawPath, deps)
        : OPS_PATHS.has(rawPath)
          ? handleOps(req, res, rawPath, deps.ops)
          : deps.staticFiles.handle(req, res, rawPath);
    work.catch((error) => sendError(res, error, deps.log));
  };
}

/** A page gets the reason as text (a person reads it); the API gets its JSON error. */
function refuseHost(res: ServerResponse, rawPath: string, log: (message: string) => void): void {
  const error = new ChatError('HOST_NOT_ALLOWED', HOST_REFUSED_MESSAGE);
  if (rawPath === '/api' || rawPath.startsWith('/api/')) return sendError(res, error, log);
  res.writeHead(httpStatusFor(error.code), { 'Content-Type': 'text/plain; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(`${HOST_REFUSED_MESSAGE}\n`);
}
