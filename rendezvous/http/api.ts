// The JSON API under /api: register, login, logout, me. CORS only for configured origins.

import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LoginResponse, MeResponse, RegisterResponse } from '../../shared/api';
import { ChatError } from '../../shared/errors';
import type { Accounts, Authenticated } from '../accounts/accounts';
import type { Session } from '../accounts/store';
import { publicUser } from '../accounts/store';
import { readJsonBody, sendError, sendJson } from './jsonBody';
import type { OriginPolicy } from '../originPolicy';

export interface ApiDeps {
  accounts: Accounts;
  origins: OriginPolicy;
  /** Called after a logout revoked a session, to close that token's sockets. */
  onLogout(session: Session): void;
  log(message: string): void;
}

type Handler = (req: IncomingMessage, res: ServerResponse, deps: ApiDeps) => Promise<void>;

function bearerToken(req: IncomingMessage): string {
  const match = /^Bearer ([A-Za-z0-9_-]{1,128})$/.exec(req.headers.authorization ?? '');
  if (!match) throw new ChatError('UNAUTHORIZED', 'Missing "Authorization: Bearer <token>".');
  return match[1];
}

/** The client's address, the key of the per-address limits. */
function clientAddress(req: IncomingMessage): string {
  return req.socket.remoteAddress ?? 'unknown';
}

async function authenticated(req: IncomingMessage, deps: ApiDeps): Promise<Authenticated> {
  return deps.accounts.authenticate(bearerToken(req));
}

const ROUTES: Record<string, { method: 'GET' | 'POST'; handle: Handler }> = {
  '/api/register': {
    method: 'POST',
    async handle(req, res, deps) {
      const user = await deps.accounts.register(await readJsonBody(req), clientAddress(req));
      sendJson(res, 201, { user } satisfies RegisterResponse);
    },
  },
  '/api/login': {
    method: 'POST',
    async handle(req, res, deps) {
      const body = await readJsonBody(req);
      const result: LoginResponse = await deps.accounts.login(body, clientAddress(req));
      sendJson(res, 200, result);
    },
  },
  '/api/logout': {
    method: 'POST',
    async handle(req, res, deps) {
      const { session } = await authenticated(req, deps);
      await deps.accounts.logout(session);
      deps.onLogout(session);
      res.writeHead(204).end();
    },
  },
  '/api/me': {
    method: 'GET',
    async handle(req, res, deps) {
      const { user } = await authenticated(req, deps);
      sendJson(res, 200, { user: publicUser(user) } satisfies MeResponse);
    },
  },
};

function applyCors(req: IncomingMessage, res: ServerResponse, deps: ApiDeps): void {
  const origin = req.headers.origin;
  if (!origin || !deps.origins.allowsCrossOrigin(origin)) return;
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Vary', 'Origin');
  res.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
  res.setHeader('Access-Control-Allow-Headers', 'Content-Type, Authorization');
  res.setHeader('Access-Control-Max-Age', '600');
}

export async function handleApi(req: IncomingMessage, res: ServerResponse, pathname: string, deps: ApiDeps): Promise<void> {
  try {
    applyCors(req, res, deps);
    const route = ROUTES[pathname];
    if (!route) throw new ChatError('NOT_FOUND', `No API endpoint ${pathname.slice(0, 100)}.`);
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    if (req.method !== route.method) {
      res.setHeader('Allow', route.method);
      throw new ChatError('METHOD_NOT_ALLOWED', `Use ${route.method} for ${pathname}.`);
    }
    await route.handle(req, res, deps);
  } catch (error) {
    sendError(res, error, deps.log);
  }
}
