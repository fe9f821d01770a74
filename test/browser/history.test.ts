// The IndexedDB history module in a real browser: bounds (count and bytes, oldest dropped first),
// duplicates by id, one database per account.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { launchBrowser } from './support/browser';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const test = suite<{ browser: Browser; page: Page }>('history store (IndexedDB)');

test.before(async (ctx) => {
  const bundle = await build({
    entryPoints: [path.join(root, 'client/app/chat/history.ts')],
    bundle: true,
    format: 'iife',
    globalName: 'HistoryModule',
    write: false,
    target: 'es2020',
  });
  ctx.browser = await launchBrowser();
  ctx.page = await ctx.browser.newPage();
  // Any http origin has IndexedDB; this one is served by the test itself.
  await ctx.page.route('http://history.test/**', (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>h</title>' }));
  await ctx.page.goto('http://history.test/');
  await ctx.page.addScriptTag({ content: bundle.outputFiles[0].text });
});

test.after(async (ctx) => {
  await ctx.browser?.close();
});

test('keeps the newest 1,000 messages, drops the oldest, ignores a repeated id', async ({ page }) => {
  const result = await page.evaluate(async () => {
    const { History, HISTORY_MAX_MESSAGES } = (window as any).HistoryModule;
    const history = await History.open('count-test');
    const from = { peerId: 'p', username: 'u', displayName: 'U' };
    for (let i = 0; i < HISTORY_MAX_MESSAGES + 5; i++) {
      await history.add({ id: `m${i}`, from, sentAt: i, own: false, receivedAt: i, kind: 'text', text: `text ${i}`, size: 10 });
    }
    await history.add({ id: 'm1004', from, sentAt: 0, own: false, receivedAt: 99_999, kind: 'text', text: 'duplicate', size: 10 });
    const kept = await history.load();
    history.close();
    return { count: kept.length, first: kept[0].id, last: kept[kept.length - 1].id, lastText: kept[kept.length - 1].text };
  });
  assert.equal(result, { count: 1000, first: 'm5', last: 'm1004', lastText: 'text 1004' });
});

test('keeps at most 200 MB, oldest dropped first; images come back as Blobs', async ({ page }) => {
  const result = await page.evaluate(async () => {
    const { History, historyDatabaseName } = (window as any).HistoryModule;
    const history = await History.open(historyDatabaseName('http://x:1', 'Alice'));
    const from = { peerId: 'p', username: 'u', displayName: 'U' };
    const blob = new Blob([new Uint8Array([1, 2, 3])], { type: 'image/png' });
    // `size` is what is counted; small blobs keep the test fast.
    for (let i = 0; i < 5; i++) {
      await history.add({ id: `i${i}`, from, sentAt: i, own: true, receivedAt: i, kind: 'image', name: `${i}.png`, mime: 'image/png', blob, size: 60 * 1024 * 1024 });
    }
    const kept = await history.load();
    history.close();
    return { ids: kept.map((m: { id: string }) => m.id), isBlob: kept[0].blob instanceof Blob, bytes: kept[0].blob.size };
  });
  assert.equal(result, { ids: ['i2', 'i3', 'i4'], isBlob: true, bytes: 3 });
});

test('one database per account and server, case-insensitive username', async ({ page }) => {
  const names = await page.evaluate(() => {
    const { historyDatabaseName } = (window as any).HistoryModule;
    return [historyDatabaseName('http://x:1', 'Alice'), historyDatabaseName('http://x:1', 'alice'), historyDatabaseName('http://y:1', 'alice'), historyDatabaseName('http://x:1', 'bob')];
  });
  assert.is(names[0], names[1]);
  assert.is.not(names[1], names[2]);
  assert.is.not(names[1], names[3]);
});

test.run();
