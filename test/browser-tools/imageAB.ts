// A/B of image speed in Chromium (issue 14): the app built at several commits, each served by its own
// server, one room of 3 direct pages each (RELAY=1: the third page relayed), all in one browser with the raw
// data channel floor; rounds alternate the raw transfer and every build (order rotated), so all see the same
// moments of a shared machine. Prints picked -> shown / raw per round, medians, CPU per image of the browser's
// processes (TEXTS=1: texts typed during the images too; THREADS=1: CPU per thread).
//
//   npx tsx test/browser-tools/imageAB.ts        with VARIANTS=<rev>[+NAME=value][+@file@sed-expr],...
//
// `+NAME=value` rebuilds a revision with one constant of shared/limits.ts changed; `+@file@expr` applies a sed
// expression to a file. Builds are cached under /tmp/ab/. Not part of any suite (minutes per run).
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { IMAGE_MAX_BYTES } from '../../shared/limits';
import { startTestServer, type TestServer } from '../helpers/server';
import { launchBrowser, launchRelayOnlyContext, logInThroughPage, userItem } from '../browser/support/browser';
import { makePngNear } from '../browser/support/images';
import { openRawChannels } from '../browser/support/rawChannels';
import { pickFileFromDisk, recordTimeline, stamp, TEXTS_UNTIL_STOPPED } from '../browser/support/room';
import { cpuByKind, cpuByThread, diff } from './processCpu';

const root = path.resolve(import.meta.dirname, '../..');
const variants = (process.env.VARIANTS ?? 'HEAD').split(',');
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const RELAY = !!process.env.RELAY;
function distFor(rev: string): string {
  if (rev === 'WORK') return path.join(root, 'dist');
  const [r, ...edits] = rev.split('+');
  const sha = execSync(`git rev-parse --short ${r}`, { cwd: root }).toString().trim();
  const dir = `/tmp/ab/${sha}${edits.map((e) => '_' + e.replace(/[^A-Za-z0-9]/g, '')).join('')}`;
  if (!existsSync(path.join(dir, 'dist/app.js'))) {
    mkdirSync(dir, { recursive: true });
    execSync(`git archive ${sha} | tar -x -C ${dir}`, { cwd: root });
    // NAME=value edits of shared/limits.ts constants
    for (const e of edits.filter((x) => x.startsWith('@'))) { const [, file, expr] = e.split('@'); execSync(`sed -i -E '${expr}' ${file}`, { cwd: dir }); }
    for (const e of edits.filter((x) => !x.startsWith('@'))) { const [k, v] = e.split('='); execSync(`sed -i -E 's/^export const ${k} = .*;/export const ${k} = ${v};/' shared/limits.ts && grep -q "${k} = ${v};" shared/limits.ts`, { cwd: dir }); }
    if (!existsSync(path.join(dir, 'node_modules'))) symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'));
    execSync('node build.mjs', { cwd: dir });
  }
  return path.join(dir, 'dist');
}
const browser = await launchBrowser();
const raw = await openRawChannels(browser);
const relayCtx = RELAY ? await launchRelayOnlyContext() : null;
interface Room { name: string; server: TestServer; a: Page; rs: Page[]; shown: number[]; ratio: number[]; cpu: number[]; extra: number[]; texts: number[] }
const rooms: Room[] = [];
for (const [k, v] of variants.entries()) {
  const server = await startTestServer({ staticDir: distFor(v) });
  const names = ['alice', 'bob', RELAY ? 'carol' : 'dave'];
  const pages: Page[] = [];
  for (const [j, n] of names.entries()) {
    await server.register(n, `${n} password 1`, n);
    const page = RELAY && j === 2 ? await relayCtx!.context.newPage() : await (await browser.newContext({ locale: 'en-US' })).newPage();
    await logInThroughPage(page, server.httpUrl, { username: n, password: `${n} password 1`, displayName: n });
    pages.push(page);
  }
  await userItem(pages[0], 'bob').filter({ hasText: 'direct' }).waitFor({ timeout: 30000 });
  await userItem(pages[0], names[2]).filter({ hasText: RELAY ? 'relay' : 'direct' }).waitFor({ timeout: 45000 });
  rooms.push({ name: `${v}`, server, a: pages[0], rs: pages.slice(1), shown: [], ratio: [], cpu: [], extra: [], texts: [] });
  console.log(`room ${k} (${v}) ready`);
}
console.log(`raw first ${(await raw.transfer(IMAGE_MAX_BYTES)).map(Math.round)}`);
// one warm-up image per room (fresh links)
for (const room of rooms) await send(room, 'warm.png');
async function send(room: Room, name: string): Promise<[number[], number]> {
  for (const p of [room.a, ...room.rs]) await recordTimeline(p);
  const c0 = cpuByKind();
  const t0 = cpuByThread();
  await pickFileFromDisk(room.a, name, makePngNear(IMAGE_MAX_BYTES));
  const picked = await stamp(room.a, 'change');
  const typing = process.env.TEXTS ? (room.a.evaluate(`${TEXTS_UNTIL_STOPPED}(${JSON.stringify([`${name} t`, 40])})`) as Promise<string[]>) : null;
  const shown = await Promise.all(room.rs.map(async (p) => (await stamp(p, `img:${name}`)) - picked));
  await room.a.evaluate('window.stopTexts = true');
  for (const text of (await typing) ?? []) {
    const entered = await stamp(room.a, `enter:${text}`);
    for (const p of room.rs) if (entered < (await stamp(p, `img:${name}`))) room.texts.push((await stamp(p, `text:${text}`)) - entered);
  }
  const cpu = Object.values(diff(c0, cpuByKind())).reduce((x, y) => x + y, 0);
  if (process.env.THREADS) console.log(`${room.name} threads: ` + Object.entries(diff(t0, cpuByThread())).filter(([, v]) => v >= 30).sort((x, y) => y[1] - x[1]).map(([k, v]) => `${k}=${Math.round(v)}`).join(', '));
  return [shown, cpu];
}
const p95 = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.min(xs.length - 1, Math.ceil(xs.length * 0.95) - 1)];
const rawAll: number[] = [];
const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
for (let i = 0; i < ROUNDS; i++) {
  const t0 = cpuByThread();
  const r = Math.max(...(await raw.transfer(IMAGE_MAX_BYTES)));
  if (process.env.THREADS) console.log('raw threads: ' + Object.entries(diff(t0, cpuByThread())).filter(([, v]) => v >= 30).sort((x, y) => y[1] - x[1]).map(([k, v]) => `${k}=${Math.round(v)}`).join(', '));
  rawAll.push(r);
  const order = rooms.map((_, k) => rooms[(k + i) % rooms.length]);
  const line: string[] = [];
  for (const room of order) {
    const [shown, cpu] = await send(room, `ab-${i}.png`);
    const m = Math.max(...shown);
    room.shown.push(m); room.ratio.push(m / r); room.cpu.push(cpu); room.extra.push(shown[1] / shown[0]);
    line.push(`${room.name} ${shown.map(Math.round).join('/')}`);
  }
  console.log(`round ${i}: raw ${Math.round(r)}; ${line.join('; ')}`);
}
console.log(`raw later median ${Math.round(med(rawAll))}`);
for (const room of rooms) console.log(`${room.name.padEnd(10)} shown median ${Math.round(med(room.shown))}  ratio-to-raw median ${med(room.ratio).toFixed(2)} [${room.ratio.map((x) => x.toFixed(2)).join(', ')}]  cpu median ${Math.round(med(room.cpu))}  ${room.texts.length ? `texts p50 ${Math.round(med(room.texts))} p95 ${Math.round(p95(room.texts))} n=${room.texts.length}` : ''} ${RELAY ? `relayed/direct median ${med(room.extra).toFixed(2)}` : ''}`);
await raw.close();
await browser.close();
await relayCtx?.close();
for (const room of rooms) await room.server.stop();
