import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as assert from 'uvu/assert';
import { sha256Hex } from '../shared/sha256';
import { DEFAULT_PASSWORD } from './helpers/server';
import { fakePng, imagesFrom, meshSuite, startPeers, until } from './helpers/mesh';

const test = meshSuite('mesh cli');

test('the CLI logs in, prints the room (earlier messages marked), sends stdin lines and /image files, exits on end of input', async (ctx) => {
  await ctx.server.register('carol');
  const [alice] = (ctx.peers = await startPeers(ctx.server, ['alice']));
  alice.mesh.sendText('said before carol came');
  const dir = await mkdtemp(path.join(tmpdir(), 'chatroom-cli-'));
  ctx.cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const image = fakePng(300_000);
  await writeFile(path.join(dir, 'pic.png'), image);

  const child = spawn(process.execPath, ['--import', 'tsx', 'client/cli/main.ts', '--server', ctx.server.wsUrl.replace(/\/ws$/, ''), '--user', 'carol'], {
    env: { ...process.env, CHATROOM_PASSWORD: DEFAULT_PASSWORD },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  ctx.cleanup.push(() => { if (child.exitCode === null) child.kill('SIGKILL'); });
  let stdout = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', () => {});
  const waitOut = (re: RegExp, what: string) =>
    new Promise<void>((resolve, reject) => {
      if (re.test(stdout)) return resolve();
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; stdout: ${stdout}`)), 30_000);
      const onData = () => {
        if (!re.test(stdout)) return;
        clearTimeout(timer);
        child.stdout.off('data', onData);
        resolve();
      };
      child.stdout.on('data', onData);
    });

  await until(ctx.peers, () => alice.mesh.peers().some((p) => p.username === 'carol' && p.link === 'direct'), 30_000, 'carol direct');
  await waitOut(/\* alice joined/, 'join line');
  await waitOut(/\[\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\] \(earlier\) <alice> said before carol came/, 'history from alice, marked as earlier');
  alice.mesh.sendText('hello carol');
  await waitOut(/\[\d\d:\d\d:\d\d\] <alice> hello carol/, 'message line');
  child.stdin.write('hi alice\n');
  child.stdin.write(`/image ${path.join(dir, 'pic.png')}\n`);
  child.stdin.end();
  await until(ctx.peers, () => alice.messages.some((m) => m.kind === 'text' && m.text === 'hi alice') && alice.messages.some((m) => m.kind === 'image'), 30_000, 'from the cli');
  const [img] = alice.messages.filter((m) => m.kind === 'image');
  assert.ok(img.kind === 'image' && sha256Hex(img.bytes) === sha256Hex(image) && img.name === 'pic.png' && img.from.username === 'carol');
  assert.is(await exited, 0);
  assert.match(stdout, /<carol> hi alice/);
  assert.match(stdout, /<carol> \[image pic\.png image\/png 293 KiB sha256 [0-9a-f]{12}\]/);
  assert.is(imagesFrom(alice, alice).length, 0);
});

test.run();
