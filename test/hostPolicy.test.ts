// The Host check against DNS rebinding (rendezvous/hostPolicy.ts): the parsing and the policy, then
// a real server refusing pages, API calls and WebSocket upgrades made under a foreign name while it
// keeps answering to IP addresses, localhost, its own names and the configured ones.

import http from 'node:http';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { HostPolicy, hostName, machineNames } from '../rendezvous/hostPolicy';
import { DEFAULT_PASSWORD, startTestServer, type TestServer } from './helpers/server';
import { connectPeer, upgradeStatus } from './helpers/ws';

const test = suite('host policy');

test('hostName: the name without port, brackets or trailing dot; null when malformed', () => {
  assert.is(hostName('Chat.Example:8080'), 'chat.example');
  assert.is(hostName('chat.example.'), 'chat.example');
  assert.is(hostName('192.168.1.5:8080'), '192.168.1.5');
  assert.is(hostName('[::1]:8080'), '::1');
  assert.is(hostName('[fe80::1]'), 'fe80::1');
  for (const bad of [undefined, '', ':80', 'a b', 'evil.example:port', '[not-an-ip]:80', 'evil.example/x', 'evil.example:80:80']) {
    assert.is(hostName(bad), null, String(bad));
  }
});

test('policy: IP addresses, localhost, own and listed names pass; other names do not', () => {
  const policy = new HostPolicy(['Chat.Lab.Example'], machineNames('Lab-Server', '0.0.0.0'));
  for (const ok of ['10.0.0.7:8080', '127.0.0.1', '[::1]:8080', 'localhost:8080', 'app.localhost', 'lab-server:8080', 'LAB-SERVER.local', 'chat.lab.example:8080', 'chat.lab.example.']) {
    assert.ok(policy.allows(ok), ok);
  }
  for (const refused of ['evil.example:8080', 'lab-server.evil.example', 'chat.lab.example.evil', 'localhost.evil.example', '', undefined]) {
    assert.not.ok(policy.allows(refused), String(refused));
  }
  assert.ok(new HostPolicy(['*'], []).allows('anything.example'));
  assert.equal(machineNames('box', 'chat.lan'), ['chat.lan', 'box', 'box.local'], 'a listen host given by name is allowed too');
  assert.equal(machineNames('box.local', '192.168.1.2'), ['box.local', 'box.local']);
});

interface Answer {
  status: number;
  type: string;
  body: string;
}

/** One HTTP request to the test server with the Host header set to `host` (fetch cannot set it). */
function request(server: TestServer, host: string, method: string, path: string, body?: object): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { Host: host, ...(payload && { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(payload)) }) };
    const req = http.request({ host: '127.0.0.1', port: server.port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body: text }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

test('a rebound name gets no page, no API and no socket; the real addresses keep working', async () => {
  const server = await startTestServer({ allowedHosts: ['chat.lab.example'] });
  try {
    const evil = `evil.example:${server.port}`;
    const page = await request(server, evil, 'GET', '/');
    assert.is(page.status, 421);
    assert.match(page.type, /^text\/plain/);
    assert.match(page.body, /allowed_hosts/);
    const register = await request(server, evil, 'POST', '/api/register', { username: 'intruder', password: DEFAULT_PASSWORD, displayName: 'intruder' });
    assert.is(register.status, 421);
    assert.is((JSON.parse(register.body) as { error: { code: string } }).error.code, 'HOST_NOT_ALLOWED');
    const login = await request(server, `127.0.0.1:${server.port}`, 'POST', '/api/login', { username: 'intruder', password: DEFAULT_PASSWORD });
    assert.is(login.status, 401, 'no account was made under the rebound name');
    // What a rebinding page's browser sends: its own name as Host and as Origin, which the Origin check alone lets through.
    assert.is(await upgradeStatus(server.wsUrl, { headers: { Host: evil, Origin: `http://${evil}` } }), 421);

    for (const host of [`127.0.0.1:${server.port}`, `localhost:${server.port}`, `chat.lab.example:${server.port}`]) {
      assert.is.not((await request(server, host, 'GET', '/')).status, 421, host);
    }
    const token = await server.registerAndLogin('alice');
    const named = await connectPeer(server.wsUrl, token, undefined, { headers: { Host: `chat.lab.example:${server.port}` }, origin: `http://chat.lab.example:${server.port}` });
    assert.is(named.welcome.self.username, 'alice');
    await named.close();
  } finally {
    await server.stop();
  }
});

test('allowed_hosts = * turns the check off', async () => {
  const server = await startTestServer({ allowedHosts: ['*'] });
  try {
    assert.is.not((await request(server, `anything.example:${server.port}`, 'GET', '/')).status, 421);
    assert.is(await upgradeStatus(server.wsUrl, { headers: { Host: `anything.example:${server.port}` } }), 101);
  } finally {
    await server.stop();
  }
});

test.run();
