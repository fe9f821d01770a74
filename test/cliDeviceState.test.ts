// The CLI keeps its device token in --state-dir, owner-only, under a hashed file name.

import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseArgs } from '../client/cli/args';
import { readDeviceToken, writeDeviceToken } from '../client/cli/deviceState';

const test = suite('CLI device state');

test('--state-dir is parsed; without it no token is kept', async () => {
  const args = parseArgs(['--server', 'ws://127.0.0.1:1', '--user', 'a', '--password', 'pw', '--state-dir', '/tmp/x'], {});
  assert.is(args.stateDir, '/tmp/x');
  assert.is(parseArgs(['--server', 'ws://127.0.0.1:1', '--user', 'a', '--password', 'pw'], {}).stateDir, undefined);
  assert.is(await readDeviceToken(undefined, 'http://h:1', 'a'), undefined);
});

test('a token written is read back per server and account, in a 0600 file named by a hash', async () => {
  const dir = path.join(await mkdtemp(path.join(tmpdir(), 'chatroom-cli-')), 'state');
  try {
    assert.is(await readDeviceToken(dir, 'http://h:1', 'Alice'), undefined);
    await writeDeviceToken(dir, 'http://h:1', 'Alice', 'id.secret');
    assert.is(await readDeviceToken(dir, 'http://h:1', 'alice'), 'id.secret');
    assert.is(await readDeviceToken(dir, 'http://h:2', 'alice'), undefined);
    const [file] = await readdir(dir);
    assert.match(file, /^device-[0-9a-f]{32}\.token$/);
    assert.is((await stat(path.join(dir, file))).mode & 0o777, 0o600);
  } finally {
    await rm(path.dirname(dir), { recursive: true, force: true });
  }
});

test.run();
