// Serves the built client from one folder and nothing else. The request path is checked before
// and after decoding, resolved, and the real path must still be inside the folder (symlinks too).

import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
};

const NOT_BUILT = 'client not built: run npm run build\n';

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** The decoded relative path of a request, or null when it is suspicious in any encoding. */
export function safeRelativePath(rawPath: string): string | null {
  // Encoded separators, dots, NUL or backslashes have no business in a client asset path.
  if (/%(2f|5c|00|2e)/i.test(rawPath) || rawPath.includes('\\') || rawPath.includes('\0')) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return null;
  }
  if (decoded.includes('\\') || decoded.includes('\0') || !decoded.startsWith('/')) return null;
  // Empty segments dropped, so the result is never absolute ('//etc/passwd').
  const segments = decoded.split('/').filter((s) => s !== '');
  // No '.', '..' or dotfiles (.git, .env ...).
  if (segments.some((s) => s.startsWith('.'))) return null;
  return segments.join('/');
}

async function fileInside(root: string, relative: string): Promise<string | null> {
  const candidate = path.resolve(root, relative);
  if (candidate !== root && !candidate.startsWith(root + path.sep)) return null;
  try {
    const real = await realpath(candidate);
    if (!real.startsWith(root + path.sep)) return null;
    return (await stat(real)).isFile() ? real : null;
  } catch {
    return null;
  }
}

function sendFile(req: IncomingMessage, res: ServerResponse, file: string, size: number): void {
  const type = CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
  const isHtml = type.startsWith('text/html');
  res.writeHead(200, { 'Content-Type': type, 'Content-Length': size, 'Cache-Control': isHtml ? 'no-cache' : 'public, max-age=300' });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const stream = createReadStream(file);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

export class StaticFiles {
  private root: string | undefined;

  constructor(private readonly dir: string) {}

  async handle(req: IncomingMessage, res: ServerResponse, rawPath: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return sendText(res, 405, 'method not allowed\n');
    }
    const relative = safeRelativePath(rawPath);
    if (relative === null) return sendText(res, 400, 'bad path\n');
    const root = await this.resolveRoot();
    let file = root && relative !== '' ? await fileInside(root, relative) : null;
    // Extensionless paths are client routes (/register, /room ...): they get the app page.
    if (!file && path.extname(relative) === '') {
      file = root ? await fileInside(root, 'index.html') : null;
      if (!file) return sendText(res, 503, NOT_BUILT);
    }
    if (!file) return sendText(res, 404, 'not found\n');
    sendFile(req, res, file, (await stat(file)).size);
  }

  /** The real path of the folder, looked up until it exists (the client may be built after start). */
  private async resolveRoot(): Promise<string | undefined> {
    if (this.root) return this.root;
    try {
      this.root = await realpath(this.dir);
    } catch {
      return undefined;
    }
    return this.root;
  }
}
