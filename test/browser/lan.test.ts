// The client opened at http://<LAN address> is not a secure context (no crypto.subtle, no
// crypto.randomUUID), unlike http://127.0.0.1: check that the room still works there.

import { networkInterfaces } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestServer, type TestServer } from '../helpers/server';
import { launchBrowser, logInThroughPage, registerThroughPage, userItem } from './support/browser';
import { makePng } from './support/images';
import { imageRendered, messageWithText, sendFile, sendText } from './support/room';

const distDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist');
const lanAddress = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

const test = suite<{ server: TestServer; browser: Browser; baseUrl: string }>('chat room from a LAN address');

test.before(async (ctx) => {
  if (!lanAddress) return;
  ctx.server = await startTestServer({ staticDir: distDir, host: lanAddress });
  ctx.baseUrl = `http://${lanAddress}:${ctx.server.port}`;
  ctx.browser = await launchBrowser();
});

test.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.server?.stop();
});

test('two users chat with text and an image from a page that is not a secure context', async ({ server, browser, baseUrl }) => {
  if (!lanAddress) return console.log('  (skipped: no non-loopback IPv4 address)');
  const [erin, frank] = [
    { username: 'erin', password: 'erin password 1', displayName: 'Erin' },
    { username: 'frank', password: 'frank password 1', displayName: 'Frank' },
  ];
  const pages = await Promise.all([1, 2].map(async () => (await browser.newContext({ locale: 'en-US' })).newPage()));
  const errors: string[] = [];
  for (const page of pages) page.on('pageerror', (e) => errors.push(e.message));
  const [e, f] = pages;
  await registerThroughPage(e, baseUrl, erin);
  assert.is(await e.evaluate(() => window.isSecureContext), false);
  await registerThroughPage(f, baseUrl, frank);
  await Promise.all([logInThroughPage(e, baseUrl, erin), logInThroughPage(f, baseUrl, frank)]);
  await userItem(e, 'frank').waitFor();
  await userItem(f, 'erin').waitFor();
  await sendText(e, 'hello over the LAN');
  await messageWithText(f, 'hello over the LAN');
  await sendFile(f, 'lan.png', 'image/png', makePng(16, 16));
  await imageRendered(e, 'lan.png');

  // The server goes away and comes back: the room says so and recovers by itself.
  await server.restart();
  for (const page of pages) await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor({ timeout: 20_000 });
  await userItem(e, 'frank').waitFor();
  await sendText(f, 'still here after a restart');
  await messageWithText(e, 'still here after a restart');
  assert.equal(errors, []);
});

test.run();
