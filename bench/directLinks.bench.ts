// What one Chromium page pays for N direct links, to choose DIRECT_LINKS_MAX (issue 10): one page
// opens N RTCPeerConnections with a data channel each to N wrtc peers in this process, as the mesh
// does (one channel per pair, a 1 s heartbeat PING/PONG on each), and we measure the time until all
// N channels are open and the browser's CPU while the links sit idle with their heartbeats.
//
//   npm run bench:links                 N = 0 (the floor: a page with no link) 8 16 24 32 48
//   BENCH_LINKS="16 32" npm run bench:links
//
// CPU is read from /proc (utime + stime of this browser's processes, all threads: WebRTC's network
// and signaling threads work off the page's main thread), as % of one core. Other browsers on the
// machine are left out: the browser is found by a marker switch and its processes by parentage.

import { readFile, readdir } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { nodeWrtc } from '../client/cli/nodeWrtc';
import { chromium } from 'playwright-core';
import { CHROMIUM_PATH } from '../test/browser/support/browser';
import { cpuMsOf } from './cpu';

const IDLE_SECONDS = 10;
const CONNECT_TIMEOUT_MS = 60_000;
const counts = (process.env.BENCH_LINKS ?? '0 8 16 24 32 48').split(/\s+/).filter(Boolean).map(Number);

type Wrtc = { RTCPeerConnection: new (config?: object) => RTCPeerConnection };
const { RTCPeerConnection: NodePc } = nodeWrtc as Wrtc;

/** Answers one offer from the page; the channel echoes PING as PONG. Non-trickle: SDP carries the candidates. */
async function answer(offerSdp: string, open: RTCPeerConnection[]): Promise<string> {
  const pc = new NodePc({ iceServers: [] });
  open.push(pc);
  pc.ondatachannel = (ev) => {
    const channel = ev.channel;
    channel.onmessage = () => {
      if (channel.readyState === 'open') channel.send('pong');
    };
  };
  await pc.setRemoteDescription({ type: 'offer', sdp: offerSdp });
  await pc.setLocalDescription(await pc.createAnswer());
  await gathered(pc);
  return pc.localDescription!.sdp;
}

function gathered(pc: RTCPeerConnection): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 5_000);
    pc.addEventListener('icegatheringstatechange', () => {
      if (pc.iceGatheringState !== 'complete') return;
      clearTimeout(timer);
      resolve();
    });
  });
}

// Plain JS in a string (tsx would add helpers the page lacks). Opens n links at once, resolves with ms until all are open.
const OPEN_LINKS = `async (n) => {
  const t0 = performance.now();
  window.links = [];
  const one = async () => {
    const pc = new RTCPeerConnection({ iceServers: [] });
    const channel = pc.createDataChannel('mesh');
    window.links.push({ pc, channel });
    const opened = new Promise((resolve) => (channel.onopen = resolve));
    await pc.setLocalDescription(await pc.createOffer());
    await new Promise((resolve) => {
      if (pc.iceGatheringState === 'complete') return resolve();
      pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && resolve();
      setTimeout(resolve, 5000);
    });
    const sdp = await window.answerOffer(pc.localDescription.sdp);
    await pc.setRemoteDescription({ type: 'answer', sdp });
    await opened;
  };
  await Promise.all(Array.from({ length: n }, one));
  window.heartbeat = setInterval(() => { for (const l of window.links) l.channel.send('ping'); }, 1000);
  return performance.now() - t0;
}`;

const CLOSE_LINKS = `() => { clearInterval(window.heartbeat); for (const l of window.links ?? []) l.pc.close(); window.links = []; }`;

/** A switch Chromium ignores, to find this bench's browser among others running on the machine. */
const MARKER = `--chatroom-bench-links=${process.pid}`;

/** CPU ms used so far by each process of this bench's browser: the one started with MARKER and all its descendants. */
async function chromiumCpuMs(): Promise<Map<number, number>> {
  const parents = new Map<number, number>();
  let root = 0;
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(`/proc/${entry}/stat`, 'utf8');
      parents.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
      if (!root && (await readFile(`/proc/${entry}/cmdline`, 'utf8')).includes(MARKER)) root = Number(entry);
    } catch {
      // the process ended meanwhile
    }
  }
  const ours = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, ppid] of parents) if (!ours.has(pid) && ours.has(ppid)) grew = ours.add(pid) !== null;
  }
  return new Map([...ours].map((pid) => [pid, cpuMsOf(pid)]));
}

/** CPU ms spent between two readings by the processes alive at both (one that started or ended between them would count its whole life). */
function spentBetween(before: Map<number, number>, after: Map<number, number>): number {
  let ms = 0;
  for (const [pid, end] of after) if (before.has(pid)) ms += end - before.get(pid)!;
  return ms;
}

async function measure(page: Page, n: number): Promise<{ connectMs: number; idleCpu: number }> {
  const open: RTCPeerConnection[] = [];
  await page.exposeFunction('answerOffer', (sdp: string) => answer(sdp, open)).catch(() => {});
  (globalThis as { benchOpen?: RTCPeerConnection[] }).benchOpen = open;
  const connectMs = n === 0 ? 0 : (await Promise.race([
    page.evaluate(`(${OPEN_LINKS})(${n})`),
    new Promise((_, reject) => setTimeout(() => reject(new Error(`${n} links did not open in ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS)),
  ])) as number;
  const before = await chromiumCpuMs();
  const t0 = Date.now();
  await new Promise((resolve) => setTimeout(resolve, IDLE_SECONDS * 1000)); // the measured idle period itself
  const idleCpu = spentBetween(before, await chromiumCpuMs()) / (Date.now() - t0);
  await page.evaluate(`(${CLOSE_LINKS})()`);
  for (const pc of open) pc.close();
  return { connectMs: Math.round(connectMs), idleCpu };
}

async function main(): Promise<void> {
  const args = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', MARKER];
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args });
  try {
    const context = await browser.newContext();
    let floor = 0;
    console.log('| links | all open after | chromium CPU while idle (heartbeats) | above 0 links |');
    console.log('|---|---|---|---|');
    for (const n of counts) {
      const page = await context.newPage();
      await page.goto('about:blank');
      const r = await measure(page, n);
      if (n === 0) floor = r.idleCpu;
      console.log(`| ${n} | ${r.connectMs} ms | ${(r.idleCpu * 100).toFixed(1)} % | ${n === 0 ? '(floor)' : `+${((r.idleCpu - floor) * 100).toFixed(1)} %`} |`);
      await page.close();
    }
  } finally {
    await browser.close();
  }
  setTimeout(() => process.exit(0), 100); // wrtc keeps the process alive for a while after its connections close
}

await main();
