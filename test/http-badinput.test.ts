// Hostile HTTP: path traversal in every encoding we know of, huge bodies, wrong content types,
// malformed requests and slow clients. Every answer is a 4xx (or the app page for a client
// route), never a 5xx, never a file from outside the client build, and nothing is logged.

import { execFile } from 'node:child_process';
import net from 'node:net';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { HTTP_JSON_BODY_MAX_BYTES } from '../shared/limits';
import { startTestServer, type TestServer } from './helpers/server';

const execFileAsync = promisify(execFile);
const INDEX = '<!doctype html><title>ChatRoom</title>';
const SECRET = 'SECRET-OUTSIDE-THE-BUILD';
/** What /etc/passwd starts with: it must never come back either. */
const PASSWD_MARK = 'root:x:0:0';
/** Short server timeouts so slow-client tests end in seconds (production uses longer ones). */
const TIMEOUTS = { headersMs: 1_000, requestMs: 2_000, checkIntervalMs: 250 };

interface Ctx {
  server: TestServer;
  root: string;
  logged: string[];
}
const test = suite<Ctx>('http bad input', { server: undefined as never, root: '', logged: [] });

test.before(async (ctx) => {
  // root/dist is served. Next to it: secrets, a sibling whose name extends "dist", and links out.
  ctx.root = await mkdtemp(path.join(tmpdir(), 'chatroom-http-'));
  const dist = path.join(ctx.root, 'dist');
  await mkdir(path.join(dist, 'assets'), { recursive: true });
  await mkdir(path.join(ctx.root, 'dist2'));
  await writeFile(path.join(dist, 'index.html'), INDEX);
  await writeFile(path.join(dist, 'assets', 'app.js'), 'console.log(1)');
  await writeFile(path.join(dist, '.secret'), SECRET);
  for (const name of ['secret.txt', 'config.ini', 'dist2/secret.txt']) await writeFile(path.join(ctx.root, name), SECRET);
  await symlink(path.join(ctx.root, 'secret.txt'), path.join(dist, 'link.txt'));
  await symlink(path.join(ctx.root, 'dist2'), path.join(dist, 'linkdir'));
  ctx.logged = [];
  ctx.server = await startTestServer({ staticDir: dist, log: (m) => ctx.logged.push(m), httpTimeouts: TIMEOUTS });
});
test.after(async (ctx) => {
  await ctx.server.stop();
  await rm(ctx.root, { recursive: true, force: true });
});

interface RawResponse {
  /** 0 when the server closed the connection without an answer. */
  status: number;
  text: string;
  ms: number;
}

/**
 * Sends `chunks` exactly as given (a request line fetch would never send) on a fresh connection,
 * `gapMs` apart, and reads until the server closes or `timeoutMs`.
 */
function raw(server: TestServer, chunks: (string | Buffer)[], gapMs = 0, timeoutMs = 10_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(server.port, '127.0.0.1');
    const received: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    const finish = () => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(received).toString('latin1');
      const match = /^HTTP\/1\.1 (\d{3})/.exec(text);
      resolve({ status: match ? Number(match[1]) : 0, text, ms: Date.now() - started });
    };
    timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms: ${String(chunks[0]).slice(0, 80)}`));
    }, timeoutMs);
    socket.on('data', (d) => {
      received.push(d);
      // One response is enough: close as soon as its body is complete.
      const text = Buffer.concat(received).toString('latin1');
      const head = text.indexOf('\r\n\r\n');
      const length = /\r\ncontent-length: (\d+)/i.exec(text.slice(0, head));
      const switched = head >= 0 && text.startsWith('HTTP/1.1 101');
      if (switched || (head >= 0 && length && text.length >= head + 4 + Number(length[1]))) finish();
    });
    socket.on('error', () => {});
    socket.on('close', finish);
    let i = 0;
    const sendNext = () => {
      if (i >= chunks.length || socket.destroyed) return;
      socket.write(chunks[i++]);
      if (i < chunks.length) setTimeout(sendNext, gapMs);
    };
    socket.on('connect', sendNext);
  });
}

function get(server: TestServer, target: string | Buffer): Promise<RawResponse> {
  const line = typeof target === 'string' ? Buffer.from(`GET ${target} HTTP/1.1\r\n`, 'latin1') : Buffer.concat([Buffer.from('GET '), target, Buffer.from(' HTTP/1.1\r\n')]);
  return raw(server, [Buffer.concat([line, Buffer.from('Host: 127.0.0.1\r\nConnection: close\r\n\r\n')])]);
}

function post(server: TestServer, target: string, headers: Record<string, string | number>, body: string | Buffer = ''): Promise<RawResponse> {
  const head = Object.entries({ Host: '127.0.0.1', Connection: 'close', ...headers }).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return raw(server, [Buffer.concat([Buffer.from(`POST ${target} HTTP/1.1\r\n${head}\r\n`, 'latin1'), Buffer.from(body)])]);
}

/** A 4xx, a dropped connection, or the app page / a 404 for what looks like a client route. */
function assertHarmless(res: RawResponse, what: string): void {
  assert.not.ok(res.text.includes(SECRET), `${what} leaked a file outside the build`);
  assert.not.ok(res.text.includes(PASSWD_MARK), `${what} leaked /etc/passwd`);
  assert.ok(res.status < 500, `${what}: ${res.status}`);
  if (res.status === 200) assert.ok(res.text.endsWith(INDEX), `${what}: 200 with something else than the app page`);
}

/** Every spelling of "..", of "/", and of where to go, combined. */
function traversalTargets(root: string): string[] {
  const dots = ['..', '%2e%2e', '%2E%2E', '.%2e', '%2e.', '%252e%252e', '%25%32%65%25%32%65', '%c0%ae%c0%ae', '%e0%80%ae%e0%80%ae', '%c0%2e%c0%2e', '%uff0e%uff0e', '%ef%bc%8e%ef%bc%8e', '%e2%80%a5', '...', '....', '.%00.', '..%00', '..;', '.. ', '%2e%2e%00'];
  const seps = ['/', '%2f', '%2F', '%252f', '\\', '%5c', '%5C', '%255c', '%c0%af', '%e0%80%af', '%c1%9c', '%c0%5c', '//', '/./', '%ef%bc%8f', '/%00/'];
  const targets = ['secret.txt', 'dist2/secret.txt', 'config.ini'];
  const out: string[] = [];
  for (const prefix of ['/', '/assets/']) {
    for (const dot of dots) {
      for (const sep of seps) {
        for (const depth of [1, 3]) out.push(`${prefix}${`${dot}${sep}`.repeat(depth)}${targets[(dot.length + sep.length + depth) % targets.length]}`);
      }
    }
  }
  const absolute = path.join(root, 'secret.txt');
  out.push(
    `/${absolute}`,
    `//${absolute}`,
    `/${encodeURIComponent(absolute)}`,
    `/${absolute.replaceAll('/', '\\')}`,
    '/etc/passwd',
    '//etc/passwd',
    '/%2fetc%2fpasswd',
    '/..%2f..%2f..%2f..%2f..%2f..%2fetc%2fpasswd',
    '/../../../../../../../../etc/passwd',
    '/assets/../../../../../../../../etc/passwd',
    'file:///etc/passwd',
    `http://127.0.0.1${absolute}`,
    'http://127.0.0.1/../secret.txt',
    '*',
    'C:\\Windows\\win.ini',
    '/index.html%00/../../secret.txt',
    '/link.txt',
    '/linkdir/secret.txt',
    '/.secret',
    '/%2esecret',
    '/assets/./../.secret',
    '/dist2/secret.txt',
    '/../dist2/secret.txt',
    '/%2e%2e/dist2/secret.txt',
    '/api/../secret.txt',
    '/api/%2e%2e/secret.txt',
    '/api/..%2f..%2fsecret.txt',
    `/${'../'.repeat(200)}secret.txt`,
    `/${'a/'.repeat(2_000)}`,
  );
  return out;
}

test('path traversal in every encoding: never a file outside the build, never a 5xx', async (ctx) => {
  const targets = traversalTargets(ctx.root);
  const statuses = new Map<number, number>();
  // Raw bytes the request line should never hold: the parser may refuse them (connection dropped).
  const rawBytes = [Buffer.from('/\x00/../secret.txt', 'latin1'), Buffer.from('/\xef\xbc\x8e\xef\xbc\x8e/secret.txt', 'latin1'), Buffer.from('/..\\..\\secret.txt'), Buffer.from('/\xc0\xae\xc0\xae/secret.txt', 'latin1')];
  const all: (string | Buffer)[] = [...targets, ...rawBytes];
  for (let i = 0; i < all.length; i += 16) {
    const batch = all.slice(i, i + 16);
    const results = await Promise.all(batch.map((t) => get(ctx.server, t)));
    results.forEach((res, k) => {
      assertHarmless(res, String(batch[k]));
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    });
  }
  console.log(`    ${all.length} traversal attempts: ${[...statuses].map(([s, n]) => `${s || 'dropped'} x${n}`).join(', ')}`);
  // The build itself is still served.
  assert.is((await get(ctx.server, '/assets/app.js')).status, 200);
  assert.equal(ctx.logged, []);
});

test('huge bodies: 413 before reading them, whatever the framing', async (ctx) => {
  const json = { 'Content-Type': 'application/json' };
  const declaredHuge = await post(ctx.server, '/api/register', { ...json, 'Content-Length': 10 ** 12 });
  assert.is(declaredHuge.status, 413);
  assert.ok(declaredHuge.ms < 2_000, 'refused before any byte of the body');
  const tooBig = 'x'.repeat(HTTP_JSON_BODY_MAX_BYTES + 1);
  assert.is((await post(ctx.server, '/api/login', { ...json, 'Content-Length': tooBig.length }, tooBig)).status, 413);
  // Chunked, no length announced: cut once over the limit.
  const chunk = 'x'.repeat(8_192);
  const chunks = Array.from({ length: 64 }, () => `${chunk.length.toString(16)}\r\n${chunk}\r\n`).join('');
  assert.is((await post(ctx.server, '/api/login', { ...json, 'Transfer-Encoding': 'chunked' }, `${chunks}0\r\n\r\n`)).status, 413);
  // Exactly at the limit is read (and refused for what it says, not for its size).
  const atLimit = JSON.stringify({ username: 'a', password: 'x'.repeat(HTTP_JSON_BODY_MAX_BYTES - 30) }).padEnd(HTTP_JSON_BODY_MAX_BYTES, ' ');
  assert.is((await post(ctx.server, '/api/login', { ...json, 'Content-Length': atLimit.length }, atLimit)).status, 401);
  // A huge static request target and a huge header: refused, not served.
  assertHarmless(await get(ctx.server, `/${'a'.repeat(100_000)}`), 'huge target');
  const bigHeader = await raw(ctx.server, [`GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`]);
  assert.ok([0, 431].includes(bigHeader.status), `huge header: ${bigHeader.status}`);
  assert.equal(ctx.logged, []);
});

test('wrong content types, malformed framing and bodies: 4xx with a stable code', async (ctx) => {
  const body = JSON.stringify({ username: 'nobody', password: 'whatever-password' });
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonp', 'application/json-patch+json', 'json', '']) {
    const res = await post(ctx.server, '/api/login', { 'Content-Type': type, 'Content-Length': body.length }, body);
    assert.is(res.status, 400, `Content-Type ${JSON.stringify(type)}`);
    assert.match(res.text, /"code":"BAD_JSON"/);
  }
  const utf16 = Buffer.from(body, 'utf16le');
  assert.is((await post(ctx.server, '/api/login', { 'Content-Type': 'application/json; charset=utf-16le', 'Content-Length': utf16.length }, utf16)).status, 400);
  const json = (text: string) => post(ctx.server, '/api/register', { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) }, text);
  for (const text of ['', '{', 'null', '[]', '"x"', '1e309', `${'['.repeat(16_000)}${']'.repeat(16_000)}`, '{"username":{"$gt":""},"password":"x"}', '\ufeff{}', '{"username":"a\\ud800","password":"xxxxxxxxxx","displayName":"a"}']) {
    const res = await json(text);
    assert.ok(res.status >= 400 && res.status < 500, `${text.slice(0, 40)}: ${res.status}`);
  }
  // Prototype keys are data: no account gains anything, no prototype is polluted.
  const res = await json('{"__proto__":{"admin":true,"username":"root"},"constructor":{"prototype":{"admin":true}},"username":"protouser","password":"long enough password","displayName":"P"}');
  assert.is(res.status, 201);
  assert.is(({} as Record<string, unknown>).admin, undefined);
  assert.not.match(res.text, /admin/);
  // Usernames that are prototype keys are just names: register, log in, nothing else.
  for (const username of ['__proto__', 'constructor', 'hasOwnProperty']) {
    await ctx.server.register(username);
    assert.match(await ctx.server.login(username), /^[A-Za-z0-9_-]{43}$/);
  }
  assert.is(({} as Record<string, unknown>).username, undefined);
  // Framing the parser must refuse: answered 400 or dropped, never a 5xx.
  for (const request of [
    'POST /api/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!',
    'POST /api/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -1\r\n\r\n',
    'POST /api/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1e3\r\n\r\n',
    'POST /api/login HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\nzz\r\n',
    'POST /api/login HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nnot-hex\r\n',
    'GET / HTTP/9.9\r\nHost: 127.0.0.1\r\n\r\n',
    'POST /api/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\x00\r\nContent-Length: 2\r\n\r\n{}',
    'GARBAGE\r\n\r\n',
    '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03', // a TLS ClientHello on the plain port
  ]) {
    const answer = await raw(ctx.server, [Buffer.from(request, 'latin1')]);
    assert.ok(answer.status === 0 || (answer.status >= 400 && answer.status < 500), `${JSON.stringify(request.slice(0, 50))}: ${answer.status}`);
  }
  for (const method of ['PUT', 'DELETE', 'PATCH', 'TRACE', 'PROPFIND']) {
    for (const target of ['/', '/index.html', '/api/login', '/api/me']) {
      const answer = await raw(ctx.server, [`${method} ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`]);
      assert.ok([400, 404, 405].includes(answer.status), `${method} ${target}: ${answer.status}`);
    }
  }
  assert.equal(ctx.logged, []);
});

test('WebSocket upgrades on other paths or with broken handshakes: 4xx, never a socket', async (ctx) => {
  const upgrade = (target: string, extra = 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n') =>
    raw(ctx.server, [`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n${extra}\r\n`]);
  for (const target of ['/ws/../ws', '/%77s', '/ws%00', '/ws/', '//ws', '/WS', '/ws;x', '/api/../ws', '/../ws']) {
    const res = await upgrade(target);
    assert.ok(res.status >= 400 && res.status < 500, `${target}: ${res.status}`);
  }
  for (const extra of ['', 'Sec-WebSocket-Version: 13\r\n', 'Sec-WebSocket-Key: short\r\nSec-WebSocket-Version: 13\r\n', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 99\r\n']) {
    const res = await upgrade('/ws', extra);
    assert.ok(res.status >= 400 && res.status < 500, `${JSON.stringify(extra)}: ${res.status}`);
  }
  // The real one still upgrades.
  assert.is((await upgrade('/ws')).status, 101);
  assert.equal(ctx.logged, []);
});

test('an aborted request body logs one line, no stack trace (issue 15, row 10)', async (ctx) => {
  ctx.logged.length = 0;
  for (let i = 0; i < 3; i++) {
    await new Promise<void>((resolve, reject) => {
      const socket = net.connect(ctx.server.port, '127.0.0.1');
      socket.on('error', reject);
      socket.on('close', () => resolve());
      socket.write('POST /api/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"username":', () => setTimeout(() => socket.destroy(), 50));
    });
  }
  const deadline = Date.now() + 3_000;
  while (ctx.logged.length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.is(ctx.logged.length, 3, ctx.logged.join('\n'));
  for (const line of ctx.logged) {
    assert.not.match(line, /\n/, 'one line');
    assert.match(line, /^http: a request body was aborted by the client \(127\.0\.0\.1\)$/);
  }
  ctx.logged.length = 0;
});

test('the client bundle is built without a source map unless asked (--sourcemap) (issue 15, row 10)', async () => {
  const out = await mkdtemp(path.join(tmpdir(), 'chatroom-build-'));
  try {
    const build = (...args: string[]) => execFileAsync(process.execPath, ['build.mjs', '--outdir', out, ...args], { cwd: path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..') });
    await build('--sourcemap');
    assert.ok((await readdir(out)).includes('app.js.map'), 'asked: written');
    assert.match(await readFile(path.join(out, 'app.js'), 'utf8'), /sourceMappingURL=app\.js\.map/);
    await build();
    assert.not.ok((await readdir(out)).some((f) => f.endsWith('.map')), 'not asked: none, and the stale one removed');
    assert.not.match(await readFile(path.join(out, 'app.js'), 'utf8'), /sourceMappingURL/);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
});

test('slow clients (slowloris headers, slow body) are cut with a 4xx; everyone else is served meanwhile', async (ctx) => {
  const slowHeaders = Array.from({ length: 20 }, () =>
    raw(ctx.server, ['GET / HTTP/1.1\r\n', ...Array.from({ length: 40 }, (_, i) => `X-Slow-${i}: a\r\n`)], TIMEOUTS.headersMs / 4),
  );
  const slowBody = Array.from({ length: 20 }, () =>
    raw(ctx.server, ['POST /api/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n', ...Array.from({ length: 100 }, () => ' ')], TIMEOUTS.requestMs / 20),
  );
  // While those hang on, ordinary requests are answered at once.
  for (let i = 0; i < 10; i++) {
    const res = await get(ctx.server, '/');
    assert.is(res.status, 200);
    assert.ok(res.ms < 1_000, `served in ${res.ms} ms`);
  }
  for (const [name, pending, limit] of [
    ['slow headers', slowHeaders, TIMEOUTS.headersMs],
    ['slow body', slowBody, TIMEOUTS.requestMs],
  ] as const) {
    const results = await Promise.all(pending);
    for (const res of results) {
      assert.ok(res.status === 408 || res.status === 0, `${name}: ${res.status}`);
      assert.ok(res.ms < limit + 4 * TIMEOUTS.checkIntervalMs + 2_000, `${name} cut after ${res.ms} ms`);
    }
    console.log(`    ${name}: ${results.length} cut after ${Math.min(...results.map((r) => r.ms))}-${Math.max(...results.map((r) => r.ms))} ms with ${[...new Set(results.map((r) => r.status || 'no answer'))].join('/')}`);
  }
  assert.equal(ctx.logged, []);
});

test.run();
