// Chat room steps shared by the browser tests.

import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { messageLog } from './browser';

export async function sendText(page: Page, text: string): Promise<void> {
  const box = page.getByLabel('Message', { exact: true });
  await box.fill(text);
  await box.press('Enter');
}

export async function sendFile(page: Page, name: string, mimeType: string, buffer: Buffer): Promise<void> {
  await page.getByLabel('Send image', { exact: true }).setInputFiles({ name, mimeType, buffer });
}

let pickDir: Promise<string> | null = null;

/**
 * Picks a file from disk, as a user does: the page gets a File backed by the file. (With a buffer,
 * Playwright decodes base64 inside the page, ~1 s of its CPU for 5 MiB, before `change` fires.)
 */
export async function pickFileFromDisk(page: Page, name: string, buffer: Buffer): Promise<void> {
  pickDir ??= mkdtemp(path.join(tmpdir(), 'chatroom-pick-'));
  const dir = path.join(await pickDir, String(Date.now()) + Math.random().toString(36).slice(2));
  await mkdir(dir);
  const file = path.join(dir, name);
  await writeFile(file, buffer);
  await page.getByLabel('Send image', { exact: true }).setInputFiles(file);
}

/** Removes the files pickFileFromDisk wrote. */
export async function removePickedFiles(): Promise<void> {
  const dir = pickDir;
  pickDir = null;
  if (dir) await rm(await dir, { recursive: true, force: true });
}

/** The message whose text is exactly `text` (waits for it). */
export async function messageWithText(page: Page, text: string, timeout = 15_000) {
  const message = messageLog(page)
    .locator('article')
    .filter({ has: page.locator('p.text', { hasText: text }) })
    .filter({ hasText: text })
    .last();
  await page.waitForFunction(
    (expected) => [...document.querySelectorAll('[role="log"] p.text')].some((p) => p.textContent === expected),
    text,
    { timeout },
  );
  return message;
}

/** Waits until an image whose alt contains `name` has decoded (naturalWidth > 0). */
export async function imageRendered(page: Page, name: string, timeout = 20_000): Promise<void> {
  await page.waitForFunction(
    (fileName) =>
      [...document.querySelectorAll<HTMLImageElement>('[role="log"] img')].some(
        (img) => img.alt.includes(fileName) && img.complete && img.naturalWidth > 0,
      ),
    name,
    { timeout },
  );
}

export function imageRenderedCount(page: Page, name: string): Promise<number> {
  return page.evaluate(
    (fileName) => [...document.querySelectorAll<HTMLImageElement>('[role="log"] img')].filter((img) => img.alt.includes(fileName)).length,
    name,
  );
}

/**
 * Records, in the page, when things happen (ms on the machine's clock, comparable across pages):
 * `change` (a file picked), `enter` (Enter pressed), `enter:<text>` (Enter pressed on that text),
 * `img:<alt>` (image decoded), `text:<text>` (message text shown). Timing in the page leaves out
 * Playwright's own overhead (e.g. passing a 5 MiB file to setInputFiles). Calling it again starts
 * a new record; the listeners are installed once.
 */
// Plain JS in a string: tsx would wrap named inner functions in a `__name` helper the page lacks.
const TIMELINE_SCRIPT = `(() => {
  const w = window;
  w.stamps = {};
  w.stampWaiters = {};
  if (w.timelineInstalled) return;
  w.timelineInstalled = true;
  const now = () => performance.timeOrigin + performance.now();
  const first = (key) => {
    if (key in w.stamps) return;
    const at = (w.stamps[key] = now());
    for (const resolve of w.stampWaiters[key] ?? []) resolve(at);
    delete w.stampWaiters[key];
  };
  w.waitStamp = (key) => (key in w.stamps ? Promise.resolve(w.stamps[key]) : new Promise((resolve) => (w.stampWaiters[key] ??= []).push(resolve)));
  document.addEventListener('change', () => first('change'), true);
  document.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' || e.shiftKey) return;
    first('enter');
    if (e.target instanceof HTMLTextAreaElement) first('enter:' + e.target.value);
  }, true);
  document.addEventListener('load', (e) => e.target instanceof HTMLImageElement && first('img:' + e.target.alt), true);
  new MutationObserver((records) => {
    for (const record of records) {
      for (const node of record.addedNodes) {
        if (!(node instanceof Element)) continue;
        for (const p of [node, ...node.querySelectorAll('p.text')]) if (p.matches('[role="log"] p.text')) first('text:' + p.textContent);
      }
    }
  }).observe(document.body, { childList: true, subtree: true });
})()`;

export async function recordTimeline(page: Page): Promise<void> {
  await page.evaluate(TIMELINE_SCRIPT);
}

/**
 * When `key` happened in the page (see recordTimeline), waiting for it there: no polling, which
 * would make the page render a frame for every poll and take CPU from what is being timed.
 */
export async function stamp(page: Page, key: string, timeout = 60_000): Promise<number> {
  return page.evaluate(
    ([k, ms]) =>
      Promise.race([
        (window as unknown as { waitStamp: (key: string) => Promise<number> }).waitStamp(k),
        new Promise<number>((_, reject) => setTimeout(() => reject(new Error(`no ${k} in the page within ${ms} ms`)), ms)),
      ]),
    [key, timeout] as const,
  );
}

// In-page (plain JS in strings: tsx would wrap named inner functions in a helper the page lacks):
// types a text and presses Enter every `every` ms until told to stop.
export const TEXTS_UNTIL_STOPPED = `(async ([prefix, every]) => {
  window.stopTexts = false;
  const box = document.querySelector('textarea');
  const sent = [];
  while (!window.stopTexts && sent.length < 200) {
    const text = prefix + sent.length;
    box.value = text;
    box.dispatchEvent(new Event('input', { bubbles: true }));
    await new Promise((resolve) => requestAnimationFrame(resolve));
    box.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true, cancelable: true }));
    sent.push(text);
    await new Promise((resolve) => setTimeout(resolve, every));
  }
  return sent;
})`;
