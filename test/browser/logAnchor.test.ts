// The message log keeps the reader in place (issue 11, "Order" clarification): while the reader
// is scrolled up, messages inserted above the view (history from peers, a late message) do not
// move what the reader is looking at; at the bottom, the log follows the newest message.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { launchBrowser } from './support/browser';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const test = suite<{ browser: Browser; page: Page }>('message log anchoring');

const id = (n: number) => n.toString(16).padStart(32, '0');

test.before(async (ctx) => {
  const bundle = await build({
    entryPoints: [path.join(root, 'test/browser/support/logHarness.tsx')],
    bundle: true,
    format: 'iife',
    write: false,
    target: 'es2020',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    loader: { '.css': 'empty' },
  });
  const css = `.log { height: 300px; overflow-y: auto; overflow-anchor: none; display: flex; flex-direction: column; gap: 8px; } p { margin: 4px 0; }`;
  ctx.browser = await launchBrowser();
  ctx.page = await ctx.browser.newPage();
  await ctx.page.route('http://log.test/**', (route) => route.fulfill({ contentType: 'text/html', body: `<!doctype html><style>${css}</style><div id="app"></div>` }));
  await ctx.page.goto('http://log.test/');
  await ctx.page.addScriptTag({ content: bundle.outputFiles[0].text });
});

test.after(async (ctx) => {
  await ctx.browser?.close();
});

/** Renders messages with these numbers (id and time from the number), in the room's order. */
const show = (page: Page, numbers: number[]) =>
  page.evaluate(([ns, ids]) => {
    const h = (window as any).logHarness;
    h.show(ns.map((n: number, i: number) => h.text(ids[i], 1_000 + n)));
  }, [numbers, numbers.map(id)] as const);

/** The message at the top of the view and its distance from the view's top (px). */
const topOfView = (page: Page) =>
  page.evaluate(() => {
    const log = document.querySelector('[role="log"]')!;
    const top = log.getBoundingClientRect().top;
    const item = [...log.querySelectorAll('article')].find((a) => a.getBoundingClientRect().bottom > top)!;
    return { id: item.getAttribute('data-message-id'), offset: Math.round(item.getBoundingClientRect().top - top) };
  });

test('scrolled up, the reader stays on the same message when older ones are inserted above; at the bottom the log follows', async ({ page }) => {
  const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
  await show(page, range(100, 140));
  assert.ok(await page.evaluate(() => { const l = document.querySelector('[role="log"]')!; return l.scrollHeight - l.scrollTop - l.clientHeight < 2; }), 'starts at the newest');

  await page.evaluate(() => { const l = document.querySelector('[role="log"]')!; l.scrollTop = l.scrollHeight / 2; });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
  const before = await topOfView(page);
  await show(page, [...range(50, 70), ...range(100, 140)]); // history from peers: 20 older messages
  const after = await topOfView(page);
  assert.equal(after, before, 'the same message at the same place');

  await page.evaluate(() => { const l = document.querySelector('[role="log"]')!; l.scrollTop = l.scrollHeight; });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(null))));
  await show(page, [...range(50, 70), ...range(100, 141)]);
  assert.ok(await page.evaluate(() => { const l = document.querySelector('[role="log"]')!; return l.scrollHeight - l.scrollTop - l.clientHeight < 2; }), 'at the bottom, the newest stays in view');
});

test.run();
