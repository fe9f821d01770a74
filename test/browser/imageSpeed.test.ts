// Issue 14: how fast a 5 MiB image appears, as a ratio to the raw data channel floor measured in
// the same browser and run (test/browser/support/rawChannels.ts). Alice sends to Bob and Dave (all
// direct), then to Bob (direct) and Carol (relayed, a browser without direct WebRTC). Every time is
// taken inside the pages: from the file input's change to the receiver's <img> loaded. Files are
// picked from disk, as a user picks them.
//
// The bounds that fail the suite are generous (2 shared cores: a loaded machine must not fail it);
// the targets of the issue are printed next to the figures.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { IMAGE_MAX_BYTES } from '../../shared/limits';
import { startTestServer, type TestServer } from '../helpers/server';
import { launchBrowser, launchRelayOnlyContext, logInThroughPage, userItem, type Account } from './support/browser';
import { makePngNear } from './support/images';
import { openRawChannels, type RawChannels } from './support/rawChannels';
import { pickFileFromDisk, recordTimeline, removePickedFiles, stamp, TEXTS_UNTIL_STOPPED } from './support/room';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ROUNDS = 5;
/** Texts sent during the images of the direct rounds, one every this many ms (a fast typist) while an image is on its way. */
const TEXT_EVERY_MS = 250;
const TEXTS_MIN = 20;

const alice: Account = { username: 'alice', password: 'alice password 1', displayName: 'Alice' };
const bob: Account = { username: 'bob', password: 'bob password 12', displayName: 'Bob' };
const dave: Account = { username: 'dave', password: 'dave password 1', displayName: 'Dave' };
const carol: Account = { username: 'carol', password: 'carol password 1', displayName: 'Carol' };

interface Ctx {
  server: TestServer;
  browser: Browser;
  raw: RawChannels;
  contexts: BrowserContext[];
  closeRelay?: () => Promise<void>;
  a: Page;
  b: Page;
  d: Page;
  rawLater: number[];
  direct: number[];
}
const test = suite<Ctx>('image speed vs raw data channels (same browser, same run)');

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
const p95 = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)];
const ms = (x: number) => `${Math.round(x).toLocaleString('en-US')} ms`;
const list = (xs: number[]) => `[${xs.map((x) => Math.round(x)).join(', ')}]`;
const ratio = (x: number, floor: number) => `${(x / floor).toFixed(2)}x`;

/** Alice picks a fresh 5 MiB image; resolves with picked -> shown (ms) on each receiver page, and the texts sent meanwhile. */
async function sendBigImage(a: Page, receivers: Page[], name: string, texts = false): Promise<{ shown: number[]; sent: string[] }> {
  for (const page of [a, ...receivers]) await recordTimeline(page);
  await pickFileFromDisk(a, name, makePngNear(IMAGE_MAX_BYTES));
  const picked = await stamp(a, 'change');
  const typing = texts ? (a.evaluate(`${TEXTS_UNTIL_STOPPED}(${JSON.stringify([`${name}, text `, TEXT_EVERY_MS])})`) as Promise<string[]>) : null;
  const shown = await Promise.all(receivers.map(async (page) => (await stamp(page, `img:${name}`)) - picked));
  await a.evaluate('window.stopTexts = true');
  return { shown, sent: (await typing) ?? [] };
}


test.before(async (ctx) => {
  ctx.server = await startTestServer({ staticDir: path.join(root, 'dist') });
  ctx.browser = await launchBrowser();
  ctx.raw = await openRawChannels(ctx.browser);
  ctx.contexts = await Promise.all([0, 1, 2].map(() => ctx.browser.newContext({ locale: 'en-US' })));
  [ctx.a, ctx.b, ctx.d] = await Promise.all(ctx.contexts.map((c) => c.newPage()));
  for (const account of [alice, bob, dave, carol]) await ctx.server.register(account.username, account.password, account.displayName);
  await Promise.all([logInThroughPage(ctx.a, ctx.server.httpUrl, alice), logInThroughPage(ctx.b, ctx.server.httpUrl, bob), logInThroughPage(ctx.d, ctx.server.httpUrl, dave)]);
  for (const [page, others] of [
    [ctx.a, [bob, dave]],
    [ctx.b, [alice, dave]],
    [ctx.d, [alice, bob]],
  ] as const) {
    for (const other of others) await userItem(page, other.username).filter({ hasText: 'direct' }).waitFor({ timeout: 30_000 });
  }
  ctx.rawLater = [];
  ctx.direct = [];
});

test.after(async (ctx) => {
  await ctx.raw?.close();
  await ctx.browser?.close().catch(() => {});
  await ctx.closeRelay?.();
  await ctx.server?.stop();
  await removePickedFiles();
});

test('first 5 MiB image on fresh links, next to the raw channels\' first transfer', async ({ raw, a, b, d }) => {
  const rawFirst = await raw.transfer(IMAGE_MAX_BYTES);
  const rawLater = await raw.transfer(IMAGE_MAX_BYTES);
  const shown = Math.max(...(await sendBigImage(a, [b, d], 'speed-first.png')).shown);
  const target = Math.max(1000, 1.5 * Math.max(...rawLater));
  console.log(`  raw channels, 5 MiB to 2 pages: first (fresh channels) ${ms(Math.max(...rawFirst))}, next ${ms(Math.max(...rawLater))}`);
  console.log(`  app, first 5 MiB to 2 direct pages, picked -> shown: ${ms(shown)} = ${ratio(shown, Math.max(...rawLater))} the raw next transfer (target: <= ${ms(target)})`);
  assert.ok(shown < 30_000, `first image took ${shown} ms`);
});

test('later 5 MiB images to 2 direct pages vs the raw channels\' later transfer', async (ctx) => {
  const { raw, a, b, d } = ctx;
  for (let i = 0; i < ROUNDS; i++) {
    // Alternated, so both see the same moments of a shared machine.
    ctx.rawLater.push(Math.max(...(await raw.transfer(IMAGE_MAX_BYTES))));
    ctx.direct.push(Math.max(...(await sendBigImage(a, [b, d], `speed-${i}.png`)).shown));
  }
  const rawMedian = median(ctx.rawLater);
  const appMedian = median(ctx.direct);
  const perRound = ctx.direct.map((t, i) => t / ctx.rawLater[i]);
  console.log(`  raw channels, later 5 MiB to 2 pages: median ${ms(rawMedian)} ${list(ctx.rawLater)}`);
  console.log(
    `  app, later 5 MiB to 2 direct pages, picked -> shown: median ${ms(appMedian)} ${list(ctx.direct)} = ${ratio(appMedian, rawMedian)} the raw floor ` +
      `(per round ${perRound.map((r) => r.toFixed(2)).join(', ')}; target <= 1.5x)`,
  );
  assert.ok(appMedian < 6 * rawMedian, `later images ${appMedian} ms vs raw ${rawMedian} ms`);
});

test('texts sent while a 5 MiB image is on its way, next to raw channels doing the same', async ({ raw, a, b, d }) => {
  const texts: number[] = [];
  const images: number[] = [];
  // As many images as it takes to send TEXTS_MIN texts during them (in rounds of their own, so that the
  // texts do not weigh on the image figures above).
  for (let i = 0; texts.length < TEXTS_MIN && i < 4 * ROUNDS; i++) {
    const name = `typing-${i}.png`;
    const { shown, sent } = await sendBigImage(a, [b, d], name, true);
    images.push(Math.max(...shown));
    for (const text of sent) {
      const entered = await stamp(a, `enter:${text}`);
      for (const page of [b, d]) {
        // Only texts sent while this page still waited for the image count.
        if (entered < (await stamp(page, `img:${name}`))) texts.push((await stamp(page, `text:${text}`)) - entered);
      }
    }
  }
  // The floor, same browser and run: a text every TEXT_EVERY_MS on a second raw channel of each link while 5 MiB go to both pages.
  const floor: number[] = [];
  for (let i = 0; floor.length < texts.length && i < 4 * ROUNDS; i++) floor.push(...(await raw.textsDuringTransfer(IMAGE_MAX_BYTES, TEXT_EVERY_MS)));
  console.log(
    `  texts sent during ${images.length} images (${list(images)} ms), Enter -> shown on bob and dave (each text counted on each page still ` +
      `waiting for the image): p50 ${ms(median(texts))}, p95 ${ms(p95(texts))} over ${texts.length} (target p95 <= 50 ms)`,
  );
  console.log(`  raw channels, a text on a second channel during 5 MiB to 2 pages, send -> received: p50 ${ms(median(floor))}, p95 ${ms(p95(floor))} over ${floor.length}`);
  assert.ok(texts.length >= TEXTS_MIN, `only ${texts.length} texts were sent during the images`);
  assert.ok(p95(texts) < 2_000, `texts during images p95 ${p95(texts)} ms`);
});

test('a relayed receiver vs a direct one, same images', async (ctx) => {
  const { a, b, d } = ctx;
  await d.getByRole('button', { name: 'Log out' }).click();
  await userItem(a, dave.username).waitFor({ state: 'detached' });
  const relayOnly = await launchRelayOnlyContext();
  ctx.closeRelay = relayOnly.close;
  const c = relayOnly.context.pages()[0] ?? (await relayOnly.context.newPage());
  await logInThroughPage(c, ctx.server.httpUrl, carol);
  await userItem(a, carol.username).filter({ hasText: 'relay' }).waitFor({ timeout: 45_000 });
  await userItem(b, carol.username).filter({ hasText: 'relay' }).waitFor({ timeout: 45_000 });
  const toBob: number[] = [];
  const toCarol: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const [direct, relayed] = (await sendBigImage(a, [b, c], `relay-speed-${i}.png`)).shown;
    toBob.push(direct);
    toCarol.push(relayed);
  }
  const perImage = toCarol.map((t, i) => t / toBob[i]);
  console.log(
    `  app, 5 MiB to bob (direct) ${ms(median(toBob))} ${list(toBob)} and carol (relayed) ${ms(median(toCarol))} ${list(toCarol)}: ` +
      `relayed / direct median ${median(perImage).toFixed(2)} (target <= 1.20); slower of the two = ${ratio(Math.max(median(toBob), median(toCarol)), median(ctx.rawLater))} the raw later floor above`,
  );
  assert.ok(median(perImage) < 3, `relayed ${median(toCarol)} ms vs direct ${median(toBob)} ms`);
});

test.run();
