// History from peers in real Chromium through the UI (issue 11, point 1): carol logs in after alice
// and bob exchanged 20 texts and 2 images and sees them all, in order, with their original times
// (texts first, within a second of her login on this machine), and the images after, verified.
// Bob logs out, alice sends 5 texts, bob logs in again: he sees exactly those 5, once, after his
// older history. The figures are printed.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestServer, type TestServer } from '../helpers/server';
import { launchBrowser, logInThroughPage, messageLog, userItem, type Account } from './support/browser';
import { imageRendered, messageWithText, recordTimeline, sendFile, sendText, stamp } from './support/room';
import { makePng } from './support/images';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const account = (username: string): Account => ({ username, password: `${username} password 1`, displayName: username[0].toUpperCase() + username.slice(1) });
const [alice, bob, carol] = ['alice', 'bob', 'carol'].map(account);

const test = suite<{ server: TestServer; browser: Browser; a: Page; b: Page }>('history from peers (browser)');

/** The texts of the log, top to bottom. */
const logTexts = (page: Page) => page.evaluate(() => [...document.querySelectorAll('[role="log"] p.text')].map((p) => p.textContent ?? ''));
/** Each text's <time dateTime>, by text. */
const timesByText = (page: Page) =>
  page.evaluate(() => Object.fromEntries([...document.querySelectorAll('[role="log"] article')].map((a) => [a.querySelector('p.text')?.textContent ?? '', a.querySelector('time')?.getAttribute('datetime') ?? ''])));

test.before(async (ctx) => {
  ctx.server = await startTestServer({ staticDir: path.join(root, 'dist') });
  for (const u of [alice, bob, carol]) await ctx.server.register(u.username, u.password, u.displayName);
  ctx.browser = await launchBrowser();
  ctx.a = await (await ctx.browser.newContext({ locale: 'en-US' })).newPage();
  ctx.b = await (await ctx.browser.newContext({ locale: 'en-US' })).newPage();
  await Promise.all([logInThroughPage(ctx.a, ctx.server.httpUrl, alice), logInThroughPage(ctx.b, ctx.server.httpUrl, bob)]);
  await userItem(ctx.a, bob.username).filter({ hasText: /relay|direct/ }).waitFor();
  await userItem(ctx.b, alice.username).filter({ hasText: /relay|direct/ }).waitFor();
});

test.after(async (ctx) => {
  await ctx.browser?.close().catch(() => {});
  await ctx.server?.stop();
});

const said = Array.from({ length: 20 }, (_, i) => `${i % 2 ? 'bob' : 'alice'} says ${i + 1}`);

test('carol, logging in later, sees the 20 texts in order with their times, then both images', async ({ server, browser, a, b }) => {
  for (let i = 0; i < said.length; i++) {
    const page = i % 2 ? b : a;
    await sendText(page, said[i]);
    await messageWithText(i % 2 ? a : b, said[i]);
  }
  await sendFile(a, 'red.png', 'image/png', Buffer.from(makePng(64, 48)));
  await sendFile(b, 'blue.png', 'image/png', Buffer.from(makePng(40, 30)));
  await imageRendered(b, 'red.png');
  await imageRendered(a, 'blue.png');

  const c = await (await browser.newContext({ locale: 'en-US' })).newPage();
  await c.goto(`${server.httpUrl}/`);
  await recordTimeline(c);
  await c.getByLabel('Username', { exact: true }).fill(carol.username);
  await c.getByLabel('Password', { exact: true }).fill(carol.password);
  await c.getByLabel('Password', { exact: true }).press('Enter'); // the 'enter' stamp: her login
  const loggedInAt = await stamp(c, 'enter');
  const shownAt = await Promise.all(said.map((t) => stamp(c, `text:${t}`, 20_000)));
  const textsMs = Math.max(...shownAt) - loggedInAt;
  await imageRendered(c, 'red.png');
  await imageRendered(c, 'blue.png');
  const imagesMs = Date.now() - loggedInAt;
  console.log(`  history from peers: carol's 20 texts shown ${Math.round(textsMs)} ms after she pressed Enter to log in (target 1,000 ms); both images decoded within ${Math.round(imagesMs)} ms`);
  assert.ok(textsMs < 5_000, `texts within a generous bound (${Math.round(textsMs)} ms)`);

  assert.equal(await logTexts(c), said, 'in the room order, each once');
  const original = await timesByText(a);
  const seen = await timesByText(c);
  for (const t of said) assert.is(seen[t], original[t], `original time of "${t}"`);
  assert.is(await messageLog(c).locator('img').count(), 2, 'both images, once each');
  await c.context().close();
});

test('bob, back after logging out, sees exactly what alice said meanwhile, once, after his older history', async ({ server, a, b }) => {
  await b.getByRole('button', { name: 'Log out' }).click();
  await b.getByRole('button', { name: 'Log in' }).waitFor();
  await userItem(a, bob.username).waitFor({ state: 'detached', timeout: 15_000 });
  const away = Array.from({ length: 5 }, (_, i) => `while bob was away ${i + 1}`);
  for (const t of away) await sendText(a, t);
  await messageWithText(a, away[4]);

  await logInThroughPage(b, server.httpUrl, bob);
  await messageWithText(b, away[4], 15_000);
  const texts = await logTexts(b);
  for (const t of away) assert.is(texts.filter((x) => x === t).length, 1, `"${t}" once`);
  assert.equal(texts.slice(-5), away, 'after his older history, in order');
  assert.equal(texts.slice(0, said.length), said, 'his older history as it was, nothing twice');
  assert.is(texts.length, said.length + away.length);
});

test.run();
