import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestServer } from './helpers/server';
import { connectPeer } from './helpers/ws';

const test = suite('rendezvous tls');

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A JSON request over https trusting `ca` (fetch cannot take a CA); POST when there is a body. */
function httpsJson(url: string, ca: Buffer, body?: object): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { method: body ? 'POST' : 'GET', ca, headers: { 'Content-Type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text || '{}') as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

test('https and wss when a certificate is configured', async () => {
  if (!hasOpenssl()) {
    console.log('    (skipped: no openssl to make a test certificate)');
    return;
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'chatroom-tls-'));
  const certFile = path.join(dir, 'cert.pem');
  const keyFile = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', keyFile, '-out', certFile], { stdio: 'ignore' });
  const ca = await readFile(certFile);
  const server = await startTestServer({ tls: { certFile, keyFile } });
  try {
    assert.match(server.httpUrl, /^https:\/\//);
    assert.match(server.wsUrl, /^wss:\/\//);
    assert.is((await httpsJson(`${server.httpUrl}/api/me`, ca)).status, 401);
    const account = { username: 'secure', password: 'correct horse battery' };
    assert.is((await httpsJson(`${server.httpUrl}/api/register`, ca, { ...account, displayName: 'S' })).status, 201);
    const login = (await httpsJson(`${server.httpUrl}/api/login`, ca, account)).body.token as string;
    const socket = await connectPeer(server.wsUrl, login, undefined, { ca });
    assert.is(socket.self.username, 'secure');
    await socket.close();
  } finally {
    await server.stop();
    await rm(dir, { recursive: true, force: true });
  }
});

test.run();
