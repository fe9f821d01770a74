import http from 'node:http';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { contentSecurityPolicy } from '../rendezvous/http/securityHeaders';
import { startTestServer, type TestServer } from './helpers/server';

const test = suite<{ server: TestServer; root: string }>('rendezvous static files', { server: undefined as never, root: '' });

const INDEX = '<!doctype html><title>ChatRoom</title><script src="/app.js"></script>';
const SECRET = 'SECRET-OUTSIDE-THE-BUILD';

test.before.each(async (ctx) => {
  // root/dist is served; root/config.ini, root/package.json and the server's users.db are not.
  ctx.root = await mkdtemp(path.join(tmpdir(), 'chatroom-static-'));
  const dist = path.join(ctx.root, 'dist');
  await mkdir(path.join(dist, 'assets'), { recursive: true });
  await writeFile(path.join(dist, 'index.html'), INDEX);
  await writeFile(path.join(dist, 'app.js'), 'console.log("app")');
  await writeFile(path.join(dist, 'assets', 'style.css'), 'body{}');
  await writeFile(path.join(dist, '.env'), SECRET);
  for (const name of ['config.ini', 'package.json', 'users.db']) await writeFile(path.join(ctx.root, name), SECRET);
  await symlink(path.join(ctx.root, 'config.ini'), path.join(dist, 'link.txt'));
  ctx.server = await startTestServer({ staticDir: dist });
});
test.after.each(async (ctx) => {
  await ctx.server.stop();
  await rm(ctx.root, { recursive: true, force: true });
});

/** A raw request: the path is sent exactly as written (fetch would normalize it). */
function rawGet(server: TestServer, rawPath: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: server.port, path: rawPath, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('index.html for / and client routes, assets with content types, security headers everywhere', async ({ server }) => {
  for (const route of ['/', '/register', '/room/general', '/?x=1']) {
    const res = await rawGet(server, route);
    assert.is(res.status, 200, route);
    assert.is(res.body, INDEX);
    assert.is(res.headers['content-type'], 'text/html; charset=utf-8');
  }
  const js = await rawGet(server, '/app.js');
  assert.is(js.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.is((await rawGet(server, '/assets/style.css')).headers['content-type'], 'text/css; charset=utf-8');
  const csp = contentSecurityPolicy(`127.0.0.1:${server.port}`, []);
  for (const target of ['/', '/app.js', '/missing.js', '/api/me', '/%2e%2e/x']) {
    const { headers } = await rawGet(server, target);
    assert.is(headers['content-security-policy'], csp, target);
    assert.is(headers['x-content-type-options'], 'nosniff');
    assert.is(headers['referrer-policy'], 'no-referrer');
  }
  assert.not.match(csp, /unsafe-inline/);
  assert.is((await rawGet(server, '/missing.js')).status, 404);
});

test('path traversal in any encoding never reaches files outside the build', async ({ server }) => {
  const attempts = [
    '/../config.ini',
    '/../../config.ini',
    '/%2e%2e/package.json',
    '/%2E%2E/package.json',
    '/..%2fusers.db',
    '/..%2Fusers.db',
    '/%252e%252e/config.ini',
    '/%252e%252e%252fconfig.ini',
    '/..\\config.ini',
    '/%5c..%5cconfig.ini',
    '/assets/../../config.ini',
    '/assets/%2e%2e/%2e%2e/config.ini',
    '/.%2e/config.ini',
    '/%c0%ae%c0%ae/config.ini',
    '/config.ini%00.js',
    '/.env',
    '/link.txt',
    '//etc/passwd',
    `/${path.join(server.dir, 'users.db')}`,
    '/users.db',
    '/config.ini',
  ];
  for (const attempt of attempts) {
    const res = await rawGet(server, attempt);
    assert.not.ok(res.body.includes(SECRET), `${attempt} leaked a file`);
    assert.ok(res.status < 500 || res.status === 503, `${attempt}: ${res.status}`);
  }
});

test('no index.html: / answers 503 "client not built"', async () => {
  const empty = await mkdtemp(path.join(tmpdir(), 'chatroom-empty-'));
  const server = await startTestServer({ staticDir: path.join(empty, 'dist') });
  try {
    const res = await rawGet(server, '/');
    assert.is(res.status, 503);
    assert.match(res.body, /client not built: run npm run build/);
    assert.is(res.headers['content-security-policy'], contentSecurityPolicy(`127.0.0.1:${server.port}`, []));
  } finally {
    await server.stop();
    await rm(empty, { recursive: true, force: true });
  }
});

test('CSP connect-src: this server and the configured outbound servers only, not any host (issue 15, row 10)', async () => {
  const server = await startTestServer({ connectOrigins: ['http://10.0.0.7:8080', 'https://chat.lab.example'] });
  try {
    const res = await fetch(`${server.httpUrl}/`);
    await res.body?.cancel();
    const connectSrc = /connect-src ([^;]*)/.exec(res.headers.get('content-security-policy') ?? '')?.[1].split(' ') ?? [];
    assert.equal(connectSrc, ["'self'", `ws://127.0.0.1:${server.port}`, `wss://127.0.0.1:${server.port}`, 'http://10.0.0.7:8080', 'ws://10.0.0.7:8080', 'https://chat.lab.example', 'wss://chat.lab.example']);
    for (const wildcard of ['ws:', 'wss:', 'http:', 'https:', '*']) assert.not.ok(connectSrc.includes(wildcard), wildcard);
  } finally {
    await server.stop();
  }
});

test('CORS only for allowed origins', async () => {
  const server = await startTestServer({ allowedOrigins: ['http://10.0.0.9:5173'] });
  try {
    const allowed = await fetch(`${server.httpUrl}/api/me`, { headers: { Origin: 'http://10.0.0.9:5173' } });
    assert.is(allowed.headers.get('access-control-allow-origin'), 'http://10.0.0.9:5173');
    const other = await fetch(`${server.httpUrl}/api/me`, { headers: { Origin: 'http://evil.example' } });
    assert.is(other.headers.get('access-control-allow-origin'), null);
    const preflight = await fetch(`${server.httpUrl}/api/login`, { method: 'OPTIONS', headers: { Origin: 'http://10.0.0.9:5173', 'Access-Control-Request-Method': 'POST' } });
    assert.is(preflight.status, 204);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /Authorization/);
  } finally {
    await server.stop();
  }
});

test.run();
