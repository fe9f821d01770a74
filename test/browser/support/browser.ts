// Debian's chromium driven by playwright-core (never a downloaded browser), and the page steps
// the tests share: register and log in through the UI.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: ARGS });
}

/**
 * A browser whose WebRTC cannot connect directly: a fresh profile with the
 * "disable_non_proxied_udp" policy gathers no candidates at all (the command-line flag has no
 * effect), so the mesh has to fall back to the relay.
 */
export async function launchRelayOnlyContext(): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'chatroom-chromium-'));
  await mkdir(path.join(dir, 'Default'), { recursive: true });
  await writeFile(path.join(dir, 'Default', 'Preferences'), JSON.stringify({ webrtc: { ip_handling_policy: 'disable_non_proxied_udp' } }));
  const context = await chromium.launchPersistentContext(dir, { executablePath: CHROMIUM_PATH, args: ARGS, locale: 'en-US' });
  return {
    context,
    close: async () => {
      await context.close().catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface Account {
  username: string;
  password: string;
  displayName: string;
}

export async function fillRegistration(page: Page, account: Account, confirm = account.password): Promise<void> {
  await page.getByLabel('Username', { exact: true }).fill(account.username);
  await page.getByLabel('Password', { exact: true }).fill(account.password);
  await page.getByLabel('Confirm password', { exact: true }).fill(confirm);
  await page.getByLabel('Display name', { exact: true }).fill(account.displayName);
}

/** Registers through /register and waits for the login page that follows. */
export async function registerThroughPage(page: Page, baseUrl: string, account: Account): Promise<void> {
  await page.goto(`${baseUrl}/register`);
  await fillRegistration(page, account);
  await page.getByRole('button', { name: 'Register' }).click();
  await page.getByRole('button', { name: 'Log in' }).waitFor();
}

export async function logInThroughPage(page: Page, baseUrl: string, account: Account): Promise<void> {
  if (!page.url().startsWith(baseUrl)) await page.goto(`${baseUrl}/`);
  await page.getByLabel('Username', { exact: true }).fill(account.username);
  await page.getByLabel('Password', { exact: true }).fill(account.password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('log', { name: 'Messages' }).waitFor();
}

/** The online-users list item that names `username`. */
export function userItem(page: Page, username: string) {
  return page.getByRole('list', { name: 'Online users' }).getByRole('listitem').filter({ hasText: `@${username}` });
}

export function messageLog(page: Page) {
  return page.getByRole('log', { name: 'Messages' });
}
