// Chat room steps shared by the browser tests.

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
