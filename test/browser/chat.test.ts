// Three people in real Chromium against a real server: Alice and Bob in ordinary contexts, Carol
// in a browser whose WebRTC cannot connect directly (so her links must fall back to the relay).

import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { IMAGE_MAX_BYTES } from '../../shared/limits';
import { startTestServer, type TestServer } from '../helpers/server';
import { launchBrowser, launchRelayOnlyContext, logInThroughPage, messageLog, registerThroughPage, userItem, type Account } from './support/browser';
import { imageRendered, imageRenderedCount, messageWithText, pickFileFromDisk, recordTimeline, removePickedFiles, sendFile, sendText, stamp } from './support/room';
import { makeGif, makePng, makePngNear, pngClaiming } from './support/images';
import { connectPeer } from '../helpers/ws';
import { rogueImageFrames } from '../helpers/rogueFrames';
import { sealingFor } from '../helpers/sealing';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const RELAY_TIMEOUT_MS = 45_000;

const alice: Account = { username: 'alice', password: 'alice password 1', displayName: 'Alice Liddell' };
const bob: Account = { username: 'bob', password: 'bob password 12', displayName: 'Bob 鲍勃' };
const carol: Account = { username: 'carol', password: 'carol password 1', displayName: 'Carol Relay' };

interface Ctx {
  server: TestServer;
  browser: Browser;
  contexts: BrowserContext[];
  closeRelay: () => Promise<void>;
  a: Page;
  b: Page;
  c: Page;
  pageErrors: string[];
}
const test = suite<Ctx>('chat room (3 browsers)');

test.before(async (ctx) => {
  ctx.server = await startTestServer({ staticDir: path.join(root, 'dist') });
  ctx.browser = await launchBrowser();
  const relayOnly = await launchRelayOnlyContext();
  ctx.closeRelay = relayOnly.close;
  ctx.contexts = [await ctx.browser.newContext({ locale: 'en-US' }), await ctx.browser.newContext({ locale: 'en-US', viewport: { width: 360, height: 720 } })];
  ctx.a = await ctx.contexts[0].newPage();
  ctx.b = await ctx.contexts[1].newPage();
  ctx.c = relayOnly.context.pages()[0] ?? (await relayOnly.context.newPage());
  ctx.pageErrors = [];
  for (const [name, page] of [['alice', ctx.a], ['bob', ctx.b], ['carol', ctx.c]] as const) {
    page.on('pageerror', (error) => ctx.pageErrors.push(`${name}: ${error.message}`));
    page.on('console', (m) => {
      if (m.type() !== 'warning' && m.type() !== 'error') return;
      // The server's CSP forbids inline script and style: any violation fails the run.
      if (/Content Security Policy/i.test(m.text())) ctx.pageErrors.push(`${name}: ${m.text()}`);
      else console.log(`  [${name} ${m.type()}] ${m.text()}`);
    });
  }
});

test.after(async (ctx) => {
  await ctx.browser?.close().catch(() => {});
  await ctx.closeRelay?.();
  await ctx.server?.stop();
  await removePickedFiles();
});

test('all three register and log in through the pages and see each other online', async ({ server, a, b, c }) => {
  await Promise.all([
    registerThroughPage(a, server.httpUrl, alice),
    registerThroughPage(b, server.httpUrl, bob),
    registerThroughPage(c, server.httpUrl, carol),
  ]);
  await Promise.all([logInThroughPage(a, server.httpUrl, alice), logInThroughPage(b, server.httpUrl, bob), logInThroughPage(c, server.httpUrl, carol)]);
  for (const [page, self, others] of [
    [a, alice, [bob, carol]],
    [b, bob, [alice, carol]],
    [c, carol, [alice, bob]],
  ] as const) {
    await userItem(page, self.username).filter({ hasText: '(you)' }).waitFor();
    for (const other of others) await userItem(page, other.username).filter({ hasText: other.displayName }).waitFor();
  }
  await userItem(a, bob.username).filter({ hasText: 'direct' }).waitFor();
  await userItem(b, alice.username).filter({ hasText: 'direct' }).waitFor();
});

/** The safety number `page` shows for `other` in its online list, after opening its named control. */
async function safetyNumberShown(page: Page, other: Account): Promise<string> {
  const row = userItem(page, other.username);
  const control = row.locator('summary');
  assert.is(await control.getAttribute('aria-label'), `Safety number with ${other.displayName}`, 'the control has an accessible name');
  await control.click();
  const number = row.getByLabel(`Safety number with ${other.displayName}`).and(row.locator('.safety-number'));
  return (await number.innerText()).trim();
}

test('each pair sees the same safety number on both screens (12 digits in groups of 4)', async ({ a, b, c }) => {
  const ab = await safetyNumberShown(a, bob);
  assert.match(ab, /^\d{4} \d{4} \d{4}$/);
  assert.is(await safetyNumberShown(b, alice), ab);
  const ac = await safetyNumberShown(a, carol);
  assert.is(await safetyNumberShown(c, alice), ac);
  assert.is.not(ac, ab);
});

test("a device bob has not used before is announced in the others' logs, with the safety number to compare", async ({ server, browser, a }) => {
  const elsewhere = await browser.newContext({ locale: 'en-US' });
  try {
    const phone = await elsewhere.newPage();
    await logInThroughPage(phone, server.httpUrl, bob);
    const note = messageLog(a).getByRole('note').filter({ hasText: `${bob.displayName} (@bob) uses a device this browser has not seen before` });
    await note.waitFor();
    // The number in the note is the one bob's new device shows for alice.
    const number = await safetyNumberShown(phone, alice);
    assert.ok((await note.innerText()).includes(number), `${await note.innerText()} names ${number}`);
  } finally {
    await elsewhere.close();
  }
  await userItem(a, bob.username).nth(1).waitFor({ state: 'detached' });
});

test('the browser without direct WebRTC shows relay links, and so do the others towards it', async ({ a, b, c }) => {
  const started = Date.now();
  await Promise.all([
    userItem(c, alice.username).filter({ hasText: 'relay' }).waitFor({ timeout: RELAY_TIMEOUT_MS }),
    userItem(c, bob.username).filter({ hasText: 'relay' }).waitFor({ timeout: RELAY_TIMEOUT_MS }),
    userItem(a, carol.username).filter({ hasText: 'relay' }).waitFor({ timeout: RELAY_TIMEOUT_MS }),
    userItem(b, carol.username).filter({ hasText: 'relay' }).waitFor({ timeout: RELAY_TIMEOUT_MS }),
  ]);
  console.log(`  relay fallback visible after ${((Date.now() - started) / 1000).toFixed(1)} s`);
});

test('text with its date and time reaches the others; Enter sends, Shift+Enter adds a line', async ({ a, b, c }) => {
  const before = Date.now();
  await sendText(a, 'Hello from Alice');
  for (const page of [a, b, c]) {
    const message = await messageWithText(page, 'Hello from Alice');
    assert.match(await message.innerText(), /Alice Liddell/);
    const iso = await message.locator('time').getAttribute('datetime');
    assert.ok(iso && Math.abs(Date.parse(iso) - before) < 60_000, `datetime ${iso}`);
    assert.match(await message.locator('time').innerText(), /\d/);
  }
  const box = b.getByLabel('Message', { exact: true });
  await box.fill('first line');
  await box.press('Shift+Enter');
  await box.pressSequentially('second line');
  await box.press('Enter');
  await messageWithText(a, 'first line\nsecond line');
  assert.is(await box.inputValue(), '');
});

test('text flows both ways over the relay', async ({ a, b, c }) => {
  await sendText(c, 'Carol over the relay');
  await Promise.all([messageWithText(a, 'Carol over the relay'), messageWithText(b, 'Carol over the relay')]);
  await sendText(a, 'Alice to Carol');
  await messageWithText(c, 'Alice to Carol');
  // The fallback to the relay is handled: nobody is shown an error for it.
  for (const page of [a, b, c]) assert.is(await page.getByRole('alert').count(), 0);
});

test('Clear empties the message box without sending', async ({ a }) => {
  const box = a.getByLabel('Message', { exact: true });
  await box.fill('a draft nobody should see');
  await a.getByRole('button', { name: 'Clear' }).click();
  assert.is(await box.inputValue(), '');
});

test('markup in a message is shown as text', async ({ a, b, c }) => {
  const markup = '<b>x</b><img src=x onerror="window.__pwned=1">';
  await sendText(a, markup);
  for (const page of [b, c]) {
    const message = await messageWithText(page, markup);
    assert.is(await message.locator('b').count(), 0);
    assert.is(await messageLog(page).locator('img[src="x"]').count(), 0);
    assert.is(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
  }
});

test('a 5 MiB image reaches both others (first image over fresh links); timing printed', async ({ a, b, c }) => {
  const big = makePngNear(IMAGE_MAX_BYTES);
  for (const page of [a, b, c]) await recordTimeline(page);
  // A progress bar shows while the image is in transit (on both ends).
  for (const page of [a, b]) {
    await page.evaluate(() => {
      const seen = new MutationObserver(() => {
        if (document.querySelector('progress')) (window as unknown as { sawProgress: boolean }).sawProgress = true;
      });
      seen.observe(document.body, { childList: true, subtree: true });
    });
  }
  await pickFileFromDisk(a, 'big-photo.png', big);
  const picked = await stamp(a, 'change');
  const [toBob, toCarol] = (await Promise.all([stamp(b, 'img:big-photo.png'), stamp(c, 'img:big-photo.png')])).map((t) => Math.round(t - picked));
  for (const page of [a, b]) assert.ok(await page.evaluate(() => (window as unknown as { sawProgress?: boolean }).sawProgress), 'progress bar shown');
  console.log(
    `  5 MiB image (${(big.length / 1048576).toFixed(2)} MiB), picked -> shown: bob (direct) ${toBob} ms, carol (relay) ${toCarol} ms (ratios to the raw channels: imageSpeed.test.ts)`,
  );

  // Typing stays instant while an image is in transit: text sent right behind a second image.
  for (const page of [a, b, c]) await recordTimeline(page);
  await pickFileFromDisk(a, 'second-photo.png', makePngNear(IMAGE_MAX_BYTES));
  await sendText(a, 'text during a transfer');
  const [picked2, entered] = [await stamp(a, 'change'), await stamp(a, 'enter')];
  const textToBob = Math.round((await stamp(b, 'text:text during a transfer')) - entered);
  const secondToBob = Math.round((await stamp(b, 'img:second-photo.png')) - picked2);
  console.log(`  second 5 MiB image to bob ${secondToBob} ms; text sent during it reached bob in ${textToBob} ms`);
});

test('a png and a gif reach the others and render, both ways over the relay', async ({ a, b, c }) => {
  await sendFile(a, 'tiny.png', 'image/png', makePng(32, 24));
  await sendFile(c, 'relay.gif', 'image/gif', makeGif());
  for (const page of [a, b, c]) {
    await imageRendered(page, 'tiny.png');
    await imageRendered(page, 'relay.gif');
  }
  const src = await messageLog(b).locator('img[alt*="tiny.png"]').getAttribute('src');
  assert.ok(src?.startsWith('blob:'), `src ${src}`);
  // Save link and enlarge.
  assert.is(await messageLog(b).getByRole('link', { name: 'Save' }).last().getAttribute('download'), 'relay.gif');
  await messageLog(b).locator('img[alt*="tiny.png"]').click();
  await b.getByRole('dialog').waitFor();
  await b.getByRole('button', { name: 'Close' }).click();
  await b.getByRole('dialog').waitFor({ state: 'detached' });
});

test('images can be pasted into the message box and dropped onto the room', async ({ a, b }) => {
  const png = [...makePng(8, 8)];
  await a.evaluate((bytes) => {
    const data = new DataTransfer();
    data.items.add(new File([new Uint8Array(bytes)], 'pasted.png', { type: 'image/png' }));
    document.querySelector('textarea')!.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
  }, png);
  await imageRendered(b, 'pasted.png');
  await a.evaluate((bytes) => {
    const data = new DataTransfer();
    data.items.add(new File([new Uint8Array(bytes)], 'dropped.png', { type: 'image/png' }));
    const target = document.querySelector('[role="log"]')!;
    target.dispatchEvent(new DragEvent('dragover', { dataTransfer: data, bubbles: true, cancelable: true }));
    target.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
  }, png);
  await imageRendered(b, 'dropped.png');
});

test('an over-size file, a non-image, a polyglot and 20000x20000 pixels are refused with an error and not delivered', async ({ a, b }) => {
  const oversize = Buffer.concat([makePng(4, 4), Buffer.alloc(IMAGE_MAX_BYTES)]);
  await sendFile(a, 'huge.png', 'image/png', oversize);
  await a.getByRole('alert').filter({ hasText: 'too large' }).waitFor();
  await sendFile(a, 'notes.txt', 'text/plain', Buffer.from('just some text, not an image'));
  await a.getByRole('alert').filter({ hasText: 'not a supported image' }).waitFor();
  await sendFile(a, 'poly.png', 'image/png', Buffer.concat([makePng(4, 4), Buffer.from('<html><script>alert(1)</script>')]));
  await a.getByRole('alert').filter({ hasText: '“poly.png” is not a supported image' }).waitFor();
  await sendFile(a, 'wide.png', 'image/png', Buffer.from(pngClaiming(20_000, 20_000)));
  await a.getByRole('alert').filter({ hasText: 'too many pixels' }).waitFor();
  // Anything sent before the marker would have arrived before it.
  await sendText(a, 'marker after refusals');
  await messageWithText(b, 'marker after refusals');
  for (const name of ['huge.png', 'notes.txt', 'poly.png', 'wide.png']) {
    assert.is(await messageLog(b).locator(`img[alt*="${name}"]`).count(), 0);
    assert.is(await messageLog(a).locator(`img[alt*="${name}"]`).count(), 0);
  }
});

test('an image with a right hash but bytes glued after its end, from a hand-driven peer, is refused in the page and never shown', async ({ server, b }) => {
  const rogue = await connectPeer(server.wsUrl, await server.registerAndLogin('mallory'));
  try {
    const bobId = rogue.welcome.peers.find((p) => p.username === bob.username)!.peerId;
    const polyglot = Buffer.concat([makePng(4, 4), Buffer.from('<html><script>alert(1)</script></html>')]);
    // Sealed for bob like any peer's relayed frames (only the image inside is rogue).
    const sealing = sealingFor(rogue);
    for (const frame of rogueImageFrames(polyglot, { start: { name: 'mallory-poly.png' } }).frames) rogue.ws.send(sealing.request(bobId, frame));
    await b.getByRole('alert').filter({ hasText: /An image from .+ was refused and not shown: it is not a complete PNG/ }).waitFor();
    assert.is(await messageLog(b).locator('img[alt*="mallory-poly.png"]').count(), 0);
    await b.getByRole('button', { name: 'Dismiss' }).click();
  } finally {
    await rogue.close();
  }
});

test('history: messages and images are shown again after a reload, each once', async ({ b }) => {
  const before = await messageLog(b).locator('article').count();
  await b.reload();
  await messageWithText(b, 'Hello from Alice');
  await imageRendered(b, 'tiny.png');
  await imageRendered(b, 'big-photo.png');
  await messageWithText(b, 'marker after refusals');
  assert.is(await messageLog(b).locator('article').count(), before);
  assert.is(await imageRenderedCount(b, 'tiny.png'), 1);
});

test('screenshots of the chat room (desktop, and phone width)', async ({ a, b }) => {
  await mkdir(path.join(root, 'artifacts'), { recursive: true });
  await a.screenshot({ path: path.join(root, 'artifacts', 'chat-room.png') });
  await b.screenshot({ path: path.join(root, 'artifacts', 'chat-room-360.png') });
});

test('a user who logs out disappears from the others at once, and finds her history at the next login', async ({ server, a, b, c, pageErrors }) => {
  await c.getByRole('button', { name: 'Log out' }).click();
  await c.getByRole('button', { name: 'Log in' }).waitFor();
  await Promise.all([
    userItem(a, carol.username).waitFor({ state: 'detached', timeout: 5_000 }),
    userItem(b, carol.username).waitFor({ state: 'detached', timeout: 5_000 }),
  ]);
  // Her history is still there at her next login (same browser, same account).
  await logInThroughPage(c, server.httpUrl, carol);
  await messageWithText(c, 'Alice to Carol');
  await imageRendered(c, 'tiny.png');
  await userItem(a, carol.username).waitFor();
  // Closing the tab (no logout) also removes the user.
  await b.close();
  await userItem(a, bob.username).waitFor({ state: 'detached', timeout: 5_000 });
  assert.equal(pageErrors, []);
});

test.run();
