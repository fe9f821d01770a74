// Registration and login through the pages, in real Chromium against a real server.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startTestServer, type TestServer } from '../helpers/server';
import { fillRegistration, launchBrowser, logInThroughPage, registerThroughPage, type Account } from './support/browser';

const distDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../dist');
const test = suite<{ server: TestServer; browser: Browser; context: BrowserContext; page: Page }>('auth pages');

const dana: Account = { username: 'dana', password: 'dana password 1', displayName: 'Dana Scully' };

test.before(async (ctx) => {
  ctx.server = await startTestServer({ staticDir: distDir });
  ctx.browser = await launchBrowser();
  ctx.context = await ctx.browser.newContext({ locale: 'en-US' });
  ctx.page = await ctx.context.newPage();
});

test.after(async (ctx) => {
  await ctx.browser?.close();
  await ctx.server?.stop();
});

const alert = (page: Page) => page.getByRole('alert');

test('the registration page refuses an incomplete form, a mismatch and a rule violation', async ({ server, page }) => {
  await page.goto(`${server.httpUrl}/register`);
  await page.getByRole('button', { name: 'Register' }).click();
  assert.match(await alert(page).innerText(), /Fill in: Username, Password, Confirm password, Display name/);

  await fillRegistration(page, dana, 'something else');
  await page.getByRole('button', { name: 'Register' }).click();
  await alert(page).filter({ hasText: 'The passwords do not match.' }).waitFor();

  await fillRegistration(page, { ...dana, username: 'no spaces allowed' });
  await page.getByRole('button', { name: 'Register' }).click();
  await alert(page).filter({ hasText: 'Username must be' }).waitFor();

  await fillRegistration(page, { ...dana, password: 'short' });
  await page.getByRole('button', { name: 'Register' }).click();
  await alert(page).filter({ hasText: 'Password must be at least 8' }).waitFor();
});

test('registering works, and a taken username is refused', async ({ server, page }) => {
  await registerThroughPage(page, server.httpUrl, dana);
  assert.is(new URL(page.url()).pathname, '/');
  assert.match(await page.getByRole('status').innerText(), /dana/);
  // Same name, other case: one account.
  await page.getByRole('link', { name: /Register/ }).click();
  await fillRegistration(page, { ...dana, username: 'DANA' });
  await page.getByRole('button', { name: 'Register' }).click();
  await alert(page).filter({ hasText: 'already taken' }).waitFor();
  // A look-alike (Cyrillic а): refused with its own sentence.
  await fillRegistration(page, { ...dana, username: 'd\u0430na' });
  await page.getByRole('button', { name: 'Register' }).click();
  await alert(page).filter({ hasText: 'looks too much like an existing one' }).waitFor();
});

test('one device too many is told so on the login screen, not "session expired"', async ({ browser }) => {
  const server = await startTestServer({ staticDir: distDir, peersPerAccountMax: 1 });
  const contexts = [await browser.newContext({ locale: 'en-US' }), await browser.newContext({ locale: 'en-US' })];
  try {
    const eve: Account = { username: 'eve', password: 'eve password 1', displayName: 'Eve' };
    const [first, second] = await Promise.all(contexts.map((c) => c.newPage()));
    await registerThroughPage(first, server.httpUrl, eve);
    await logInThroughPage(first, server.httpUrl, eve);
    // The room opens, then the server refuses this socket: the page returns to the login form.
    await second.goto(`${server.httpUrl}/`);
    await second.getByLabel('Username', { exact: true }).fill(eve.username);
    await second.getByLabel('Password', { exact: true }).fill(eve.password);
    await second.getByRole('button', { name: 'Log in' }).click();
    await second.getByText('already has the most devices allowed').waitFor();
    await second.getByRole('button', { name: 'Log in' }).waitFor();
  } finally {
    await Promise.all(contexts.map((c) => c.close()));
    await server.stop();
  }
});

test('a user name that mixes scripts is marked in the online list', async ({ server, browser }) => {
  const context = await browser.newContext({ locale: 'en-US' });
  try {
    const page = await context.newPage();
    const mixed: Account = { username: 'm\u0430x', password: 'max password 1', displayName: 'Max' };
    await registerThroughPage(page, server.httpUrl, mixed);
    await page.getByLabel('Username', { exact: true }).fill(mixed.username);
    await page.getByLabel('Password', { exact: true }).fill(mixed.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    const list = page.getByRole('list', { name: 'Online users' });
    await list.getByText('mixes Latin + Cyrillic').waitFor();
  } finally {
    await context.close();
  }
});

test('login: empty fields warn, a wrong password is an error, the right one enters the room', async ({ server, page }) => {
  await page.goto(`${server.httpUrl}/`);
  await page.getByRole('button', { name: 'Log in' }).click();
  await alert(page).filter({ hasText: 'Enter your username and password.' }).waitFor();

  await page.getByLabel('Username', { exact: true }).fill(dana.username);
  await page.getByLabel('Password', { exact: true }).fill('wrong password');
  await page.getByRole('button', { name: 'Log in' }).click();
  await alert(page).filter({ hasText: 'Wrong username or password.' }).waitFor();

  await page.getByLabel('Password', { exact: true }).fill(dana.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('log', { name: 'Messages' }).waitFor();
  assert.ok(await page.evaluate(() => localStorage.getItem('chatroom.token')));
  const devices = () => page.evaluate(() => localStorage.getItem('chatroom.devices'));
  assert.match((await devices()) ?? '', /"[^"]+ dana":"[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}"/, 'the device token is kept');

  // The token survives a reload (validated by GET /api/me), then Log out returns to the form.
  await page.reload();
  await page.getByRole('log', { name: 'Messages' }).waitFor();
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('button', { name: 'Log in' }).waitFor();
  assert.is(await page.evaluate(() => localStorage.getItem('chatroom.token')), null);
  assert.ok(await devices(), 'the device token survives the logout');
});

test('a saved session survives the server being unreachable at load, and resumes by itself', async ({ server, page }) => {
  await page.goto(`${server.httpUrl}/`);
  await page.getByLabel('Username', { exact: true }).fill(dana.username);
  await page.getByLabel('Password', { exact: true }).fill(dana.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('log', { name: 'Messages' }).waitFor();
  await page.route('**/api/me', (route) => route.abort('connectionrefused'));
  await page.reload();
  await page.getByRole('status').filter({ hasText: 'Server unreachable' }).waitFor();
  await page.unroute('**/api/me');
  await page.getByRole('log', { name: 'Messages' }).waitFor({ timeout: 10_000 });
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('button', { name: 'Log in' }).waitFor();
});

test('the server address is a setting kept in the browser; a wrong one says unreachable', async ({ server, page }) => {
  await page.goto(`${server.httpUrl}/`);
  const address = page.getByLabel('Server address', { exact: true });
  assert.is(await address.inputValue(), new URL(server.httpUrl).host);
  await address.fill('127.0.0.1:1');
  await page.getByLabel('Username', { exact: true }).fill(dana.username);
  await page.getByLabel('Password', { exact: true }).fill(dana.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await alert(page).filter({ hasText: 'unreachable' }).waitFor();
  await page.reload();
  assert.is(await page.getByLabel('Server address', { exact: true }).inputValue(), '127.0.0.1:1');
  await page.getByLabel('Server address', { exact: true }).fill(new URL(server.httpUrl).host);
});

test('throttled logins say when to retry', async ({ browser }) => {
  const server = await startTestServer({ staticDir: distDir, loginLimits: { failuresPerAccount: 2, windowMs: 60_000 } });
  const context = await browser.newContext({ locale: 'en-US' });
  try {
    await server.register('gus');
    const page = await context.newPage();
    await page.goto(`${server.httpUrl}/`);
    await page.getByLabel('Username', { exact: true }).fill('gus');
    for (let i = 0; i < 3; i++) {
      await page.getByLabel('Password', { exact: true }).fill(`wrong password ${i}`);
      await page.getByRole('button', { name: 'Log in' }).click();
      await alert(page).filter({ hasText: /Wrong username|Too many/ }).waitFor();
    }
    await alert(page).filter({ hasText: /Too many failed attempts\. Try again in \d+ seconds\./ }).waitFor();
  } finally {
    await context.close();
    await server.stop();
  }
});

test('the language follows the browser and can be switched', async ({ server, browser }) => {
  const context = await browser.newContext({ locale: 'zh-CN' });
  try {
    const page = await context.newPage();
    await page.goto(`${server.httpUrl}/`);
    await page.getByRole('button', { name: '登录' }).waitFor();
    await page.getByLabel('语言').selectOption('en');
    await page.getByRole('button', { name: 'Log in' }).waitFor();
  } finally {
    await context.close();
  }
});

test.run();
