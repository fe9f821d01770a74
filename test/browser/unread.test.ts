// Unread, typing and delivery state in real Chromium through the UI (issue 11, points 3 and 4): "Bo is typing…" under the
// log while Bo types, gone when his message arrives; while the page is hidden the tab title counts
// what arrived, and a "New messages" line marks the first of it when the reader is back; an own
// message says how many of the others have stored and shown it.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestServer, type TestServer } from '../helpers/server';
import { launchBrowser, logInThroughPage, messageLog, userItem, type Account } from './support/browser';
import { messageWithText, sendText } from './support/room';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ann: Account = { username: 'ann', password: 'ann password 12', displayName: 'Ann' };
const bo: Account = { username: 'bo', password: 'bo password 123', displayName: 'Bo' };

const test = suite<{ server: TestServer; browser: Browser; a: Page; b: Page }>('unread, typing and delivery');

test.before(async (ctx) => {
  ctx.server = await startTestServer({ staticDir: path.join(root, 'dist') });
  for (const u of [ann, bo]) await ctx.server.register(u.username, u.password, u.displayName);
  ctx.browser = await launchBrowser();
  ctx.a = await (await ctx.browser.newContext({ locale: 'en-US' })).newPage();
  ctx.b = await (await ctx.browser.newContext({ locale: 'en-US' })).newPage();
  await Promise.all([logInThroughPage(ctx.a, ctx.server.httpUrl, ann), logInThroughPage(ctx.b, ctx.server.httpUrl, bo)]);
  await userItem(ctx.a, bo.username).filter({ hasText: /relay|direct/ }).waitFor();
  await userItem(ctx.b, ann.username).filter({ hasText: /relay|direct/ }).waitFor();
});

test.after(async (ctx) => {
  await ctx.browser?.close().catch(() => {});
  await ctx.server?.stop();
});

test('while Bo types, Ann reads "Bo is typing…"; his message ends it', async ({ a, b }) => {
  await b.getByLabel('Message', { exact: true }).pressSequentially('hel');
  await a.getByText('Bo is typing…').waitFor({ timeout: 5_000 });
  await b.getByLabel('Message', { exact: true }).pressSequentially('lo Ann');
  await b.getByLabel('Message', { exact: true }).press('Enter');
  await messageWithText(a, 'hello Ann');
  await a.getByText('Bo is typing…').waitFor({ state: 'detached', timeout: 5_000 });
});

/** What the browser does when the tab goes to the background or comes back. */
function setHidden(page: Page, hidden: boolean): Promise<void> {
  return page.evaluate((h) => {
    Object.defineProperty(document, 'visibilityState', { value: h ? 'hidden' : 'visible', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
  }, hidden);
}

test('messages that arrive while the page is hidden are counted in the title and marked when the reader is back', async ({ a, b }) => {
  await setHidden(a, true);
  for (const text of ['one while away', 'two while away', 'three while away']) await sendText(b, text);
  await messageWithText(a, 'three while away');
  await a.waitForFunction(() => document.title === '(3) ChatRoom', undefined, { timeout: 5_000 });
  assert.is(await messageLog(a).getByRole('separator', { name: 'New messages' }).count(), 1, 'marked while hidden too');
  await setHidden(a, false);
  await a.waitForFunction(() => document.title === 'ChatRoom', undefined, { timeout: 5_000 });
  // The line stands right before the first message that came while away.
  const next = await a.evaluate(() => document.querySelector('[role="log"] [role="separator"]')?.nextElementSibling?.textContent ?? '');
  assert.match(next, 'one while away');
  await sendText(a, 'back');
  await messageLog(a).getByRole('separator', { name: 'New messages' }).waitFor({ state: 'detached', timeout: 5_000 });
});

test('an own message says "Delivered to 1 of 1" once the other page has stored and shown it', async ({ a, b }) => {
  await sendText(a, 'did you get this?');
  const own = await messageWithText(a, 'did you get this?');
  await messageWithText(b, 'did you get this?');
  await own.getByText('Delivered to 1 of 1').waitFor({ timeout: 10_000 });
});

test.run();
