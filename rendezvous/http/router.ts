// Every HTTP request: security headers first, then /api or a static file. No handler error
// escapes: a failure becomes a response (or a dropped connection when headers are already out).

import type { IncomingMessage, ServerResponse } from 'node:http';
import { handleApi, type ApiDeps } from './api';
import { sendError } from './jsonBody';
import { setSecurityHeaders } from './securityHeaders';
import type { StaticFiles } from './staticFiles';

export interface RouterDeps extends ApiDeps {
  staticFiles: StaticFiles;
}

/** Path part of a request target, still percent-encoded. */
function rawPathOf(url: string | undefined): string {
  const target = url ?? '/';
  const end = target.search(/[?#]/);
  return end < 0 ? target : target.slice(0, end);
}

export function createRequestHandler(deps: RouterDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    setSecurityHeaders(res);
    const rawPath = rawPathOf(req.url);
    const work = rawPath === '/api' || rawPath.startsWith('/api/') ? handleApi(req, res, rawPath, deps) : deps.staticFiles.handle(req, res, rawPath);
    work.catch((error) => sendError(res, error, deps.log));
  };
}
