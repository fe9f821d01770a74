import { createServer, type Server } from 'node:net';
import { mkdir, mkdtemp, rm, writeFile, chmod } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { loadConfig } from '../rendezvous/config';
import { parseCliArgs } from '../rendezvous/cliArgs';
import { runMain, spawnServerProcess } from './helpers/server';

const test = suite<{ dir: string }>('rendezvous config', { dir: '' });

test.before.each(async (ctx) => {
  ctx.dir = await mkdtemp(path.join(tmpdir(), 'chatroom-config-'));
});
test.after.each(async (ctx) => {
  await rm(ctx.dir, { recursive: true, force: true });
});

async function iniFile(dir: string, text: string, name = 'config.ini'): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, text);
  return file;
}

test('the original keys [ip] chat_server_ip and [port] chat_server_port work', async ({ dir }) => {
  const file = await iniFile(dir, '[ip]\nchat_server_ip = 192.168.1.23 ; comment\n[port]\nchat_server_port = 9000\n');
  const settings = loadConfig(file, true);
  assert.is(settings.host, '192.168.1.23');
  assert.is(settings.port, 9000);
  assert.is(settings.dbPath, path.join(dir, 'users.db'), 'user_db defaults next to the config file');
  assert.is(settings.relay, 'auto');
});

test('a Windows-edited file (BOM, CRLF) reads the same', async ({ dir }) => {
  const file = await iniFile(dir, '\uFEFF[ip]\r\nchat_server_ip = 10.0.0.1\r\n[port]\r\nchat_server_port = 8081\r\n');
  const settings = loadConfig(file, true);
  assert.is(settings.host, '10.0.0.1');
  assert.is(settings.port, 8081);
});

test('every section of the shipped config.ini parses', async ({ dir }) => {
  const settings = loadConfig(path.resolve('config.ini'), true);
  assert.is(settings.host, '0.0.0.0');
  assert.is(settings.port, 8080);
  assert.is(settings.heartbeatIntervalMs, 15_000);
  assert.is(settings.maxImageBytes, 5_242_880);
  assert.equal(settings.allowedOrigins, []);
  assert.equal(settings.allowedHosts, []);
  assert.equal(settings.connectOrigins, []);
  assert.is(settings.registrationsPerAddress, 20);
  assert.is(settings.unauthenticatedPerAddress, 64);
  assert.is(settings.unauthenticatedTotal, 500);
  assert.is(settings.restartGraceMs, 30_000);
  assert.is(settings.devicesOnlinePerAccount, 8);
  assert.equal(settings.iceServers, []);
  assert.is(settings.tls, undefined);
  assert.equal(settings.metricsAddresses, ['127.0.0.1', '::1'], 'metrics for this machine only');
  assert.is(settings.logLevel, 'info');
  assert.equal(settings.cluster, { redisUrl: undefined, postgresUrl: undefined, nodeName: undefined, advertisedUrl: undefined }, 'one node with NeDB by default');
  const custom = loadConfig(
    await iniFile(
      dir,
      [
        '[storage]\nuser_db = data/u.db',
        '[limits]\nmax_image_bytes = 1000\nregistrations_per_address = 500\nunauthenticated_sockets_per_address = 7\nunauthenticated_sockets = 9\ndevices_online_per_account = 100',
        '[heartbeat]\ninterval_ms = 500',
        '[relay]\nmode = off',
        '[security]\nallowed_origins = http://10.0.0.2:5173, *\nallowed_hosts = chat.lab.example, box.local\nconnect_origins = http://10.0.0.3:8080',
        '[webrtc]\nice_servers = stun:stun.example:3478, turn:turn.example\nturn_username = u\nturn_credential = c',
        '[monitoring]\nmetrics_addresses = 10.0.0.7\nlog_level = warn',
        '[cluster]\nredis_url = redis://10.0.0.9:6379\npostgres_url = postgres://chat@10.0.0.9/chatroom\nnode_name = hall-b.1\nadvertised_url = http://10.0.0.4:8080',
      ].join('\n'),
    ),
    true,
  );
  assert.is(custom.dbPath, path.join(dir, 'data', 'u.db'));
  assert.is(custom.maxImageBytes, 1000);
  assert.is(custom.registrationsPerAddress, 500);
  assert.is(custom.unauthenticatedPerAddress, 7);
  assert.is(custom.unauthenticatedTotal, 9);
  assert.is(custom.restartGraceMs, 1000, 'two intervals unless set');
  assert.is(loadConfig(await iniFile(dir, '[heartbeat]\nrestart_grace_ms = 0'), true).restartGraceMs, 0);
  assert.is(custom.devicesOnlinePerAccount, 100);
  assert.is(custom.heartbeatIntervalMs, 500);
  assert.is(custom.relay, 'off');
  assert.equal(custom.allowedOrigins, ['http://10.0.0.2:5173', '*']);
  assert.equal(custom.allowedHosts, ['chat.lab.example', 'box.local']);
  assert.equal(custom.connectOrigins, ['http://10.0.0.3:8080']);
  assert.equal(custom.metricsAddresses, ['10.0.0.7']);
  assert.is(custom.logLevel, 'warn');
  assert.equal(custom.cluster, { redisUrl: 'redis://10.0.0.9:6379', postgresUrl: 'postgres://chat@10.0.0.9/chatroom', nodeName: 'hall-b.1', advertisedUrl: 'http://10.0.0.4:8080' });
  assert.equal(custom.iceServers, [{ urls: 'stun:stun.example:3478' }, { urls: 'turn:turn.example', username: 'u', credential: 'c' }]);
});

test('command-line flags parse and are checked', () => {
  assert.equal(parseCliArgs(['--host', '127.0.0.1', '--port', '0', '--db', 'x.db']), { help: false, host: '127.0.0.1', port: 0, db: path.resolve('x.db') });
  assert.throws(() => parseCliArgs(['--port', '65536']), /--port 65536: must be a port/);
  assert.throws(() => parseCliArgs(['--port', '-1']));
  assert.throws(() => parseCliArgs(['--nope']), /Unknown option/);
  assert.throws(() => parseCliArgs(['stray']));
  assert.equal(parseCliArgs(['--redis-url', 'redis://127.0.0.1:6379', '--postgres-url', 'postgresql://u@h/db', '--node-name', 'n1', '--advertised-url', 'http://10.0.0.4:8080/']).cluster, {
    redisUrl: 'redis://127.0.0.1:6379',
    postgresUrl: 'postgresql://u@h/db',
    nodeName: 'n1',
    advertisedUrl: 'http://10.0.0.4:8080',
  });
  assert.throws(() => parseCliArgs(['--redis-url', 'http://x']), /--redis-url http:\/\/x: must be a URL like redis:/);
  assert.throws(() => parseCliArgs(['--node-name', 'a b']), /--node-name a b: must be 1-64/);
  assert.throws(() => parseCliArgs(['--advertised-url', 'http://a, http://b']), /must be one origin/);
});

/** Failing starts run at once in the bad-configuration test. */
const START_FAILS_AT_ONCE = 4;

/** Asserts exit 1 with one line on stderr, no stack trace, matching `pattern`. */
async function assertStartFails(args: string[], pattern: RegExp): Promise<void> {
  const result = await runMain(args);
  assert.is(result.code, 1, `exit code for ${args.join(' ')}: ${result.stderr}`);
  const lines = result.stderr.trimEnd().split('\n');
  assert.is(lines.length, 1, `one line: ${result.stderr}`);
  assert.match(lines[0], /^chatroom: /);
  assert.not.match(result.stderr, /\n\s+at /);
  assert.match(lines[0], pattern);
}

test('bad configuration: exit 1 with one line naming file, section, key and value', async ({ dir }) => {
  const bad = async (name: string, text: string) => iniFile(dir, text, name);
  const cases: Array<[string[], RegExp]> = [
    [['--config', await bad('range.ini', '[port]\nchat_server_port = 70000\n')], /range\.ini: \[port\] chat_server_port = 70000: must be a port number/],
    [['--config', await bad('nan.ini', '[port]\nchat_server_port = eighty\n')], /\[port\] chat_server_port = eighty/],
    [['--config', await bad('section.ini', '[prot]\nchat_server_port = 80\n')], /section\.ini: \[prot\]: unknown section/],
    [['--config', await bad('key.ini', '[ip]\nchat_server_adress = 1.2.3.4\n')], /\[ip\] chat_server_adress = 1\.2\.3\.4: unknown key/],
    [['--config', await bad('host.ini', '[ip]\nchat_server_ip = not an address!\n')], /\[ip\] chat_server_ip = not an address!: must be an IP/],
    [['--config', await bad('garbage.ini', 'this is not ini at all\n[port]\nchat_server_port = 1\n')], /garbage\.ini: this is not ini at all/],
    [['--config', await bad('binary.ini', '\0\x01\x02')], /binary\.ini: not a text file/],
    [['--config', await bad('relay.ini', '[relay]\nmode = sometimes\n')], /\[relay\] mode = sometimes: must be auto, off or force/],
    [['--config', await bad('hosts.ini', '[security]\nallowed_hosts = http://chat.example\n')], /\[security\] allowed_hosts = http:\/\/chat\.example: "http:\/\/chat\.example" is not a host name/],
    [['--config', await bad('tls.ini', '[tls]\ncert_file = missing.pem\nkey_file = missing.key\n')], /\[tls\] cert_file = missing\.pem: cannot read/],
    [['--config', path.join(dir, 'absent.ini')], /absent\.ini: cannot read the config file/],
    [['--port', '99999'], /--port 99999: must be a port number/],
    [['--bogus'], /Unknown option '--bogus'/],
    [['--host', '127.0.0.1', '--port', '0', '--db', path.join(dir, 'no', 'such', 'dir', 'u.db')], /--db .*u\.db: cannot write/],
  ];
  // A few at a time: 14 servers starting at once on a 2-core machine that other test runs share
  // took longer than runMain's deadline.
  for (let i = 0; i < cases.length; i += START_FAILS_AT_ONCE) await Promise.all(cases.slice(i, i + START_FAILS_AT_ONCE).map(([args, pattern]) => assertStartFails(args, pattern)));
});

test('bad [cluster] settings: exit 1 with one line (a cluster needs PostgreSQL)', async ({ dir }) => {
  await assertStartFails(['--config', await iniFile(dir, '[cluster]\npostgres_url = mysql://x\n', 'cluster.ini')], /\[cluster\] postgres_url = mysql:\/\/x: must be a URL like postgres:/);
  await assertStartFails(['--redis-url', 'redis://127.0.0.1:1'], /\[cluster\] redis_url: a cluster keeps its accounts in PostgreSQL: set postgres_url too/);
});

test('unwritable db path and a port in use fail with one line', async ({ dir }) => {
  const readOnly = path.join(dir, 'ro');
  await mkdir(readOnly);
  await chmod(readOnly, 0o500);
  const asRoot = process.getuid?.() === 0; // root ignores directory permissions
  if (!asRoot) await assertStartFails(['--host', '127.0.0.1', '--port', '0', '--db', path.join(readOnly, 'u.db')], /cannot write/);
  await assertStartFails(['--host', '127.0.0.1', '--port', '0', '--db', dir], /cannot write .*EISDIR/);
  const blocker: Server = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as { port: number }).port;
  try {
    await assertStartFails(['--host', '127.0.0.1', '--port', String(port), '--db', path.join(dir, 'u.db')], new RegExp(`--port ${port}: port ${port} is already in use`));
    const file = await iniFile(dir, `[port]\nchat_server_port = ${port}\n[ip]\nchat_server_ip = 127.0.0.1\n`);
    await assertStartFails(['--config', file], new RegExp(`\\[port\\] chat_server_port = ${port}: port ${port} is already in use`));
  } finally {
    await new Promise((resolve) => blocker.close(resolve));
  }
});

test('a good config starts, prints the address, and stops cleanly on SIGTERM', async ({ dir }) => {
  const file = await iniFile(dir, '[ip]\nchat_server_ip = 127.0.0.1\n[port]\nchat_server_port = 0\n[storage]\nuser_db = users.db\n');
  const server = await spawnServerProcess(['--config', file]);
  try {
    const res = await fetch(`${server.httpUrl}/api/me`);
    assert.is(res.status, 401);
    server.child.kill('SIGTERM');
    const result = await server.exited;
    assert.is(result.code, 0);
    assert.match(result.stdout, /Local: +http:\/\/127\.0\.0\.1:\d+\//);
    assert.is(result.stderr, '');
  } finally {
    await server.kill9();
  }
});

test.run();
