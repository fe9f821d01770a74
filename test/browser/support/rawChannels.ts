// The floor the app's image times are compared with: raw RTCDataChannels in the same browser, from
// one page to two others, no app at all. The bytes go as the app sends them (64 KiB messages, a
// send paused above 1 MiB buffered and resumed on bufferedamountlow) and the time runs from the
// first send to the last byte received, everything measured inside the pages. Each link also has a
// second channel of the same connection (negotiated, as the app's urgent lane), on which texts can be
// sent during a transfer: the floor of a text sent while an image is on its way.

import type { Browser, BrowserContext, Page } from 'playwright-core';
import { CHANNEL_PAUSE_ABOVE_BYTES, CHANNEL_RESUME_BELOW_BYTES, CHUNK_BYTES } from '../../../shared/limits';

// Plain JS in strings: tsx would wrap named inner functions in a `__name` helper the pages lack.
const SETUP = `(() => {
  const w = window;
  w.rawLinks = [];
  w.gathered = (pc) => new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve());
  });
  w.rawReceived = { bytes: 0, target: Infinity, doneAt: 0, resolve: null };
  w.rawTexts = {};
  w.onRawText = (e) => { w.rawTexts[e.data] = performance.timeOrigin + performance.now(); };
  w.onRawMessage = (e) => {
    const r = w.rawReceived;
    r.bytes += e.data.byteLength;
    if (r.bytes >= r.target && !r.doneAt) {
      r.doneAt = performance.timeOrigin + performance.now();
      r.resolve && r.resolve(r.doneAt);
    }
  };
})()`;

const OFFER = `(async () => {
  const pc = new RTCPeerConnection();
  const channel = pc.createDataChannel('raw');
  channel.binaryType = 'arraybuffer';
  const texts = pc.createDataChannel('texts', { negotiated: true, id: 1023 });
  window.rawLinks.push({ pc, channel, texts });
  await pc.setLocalDescription(await pc.createOffer());
  await window.gathered(pc);
  return { index: window.rawLinks.length - 1, sdp: pc.localDescription.sdp };
})()`;

const ANSWER = `(async (sdp) => {
  const pc = new RTCPeerConnection();
  window.rawLinks.push({ pc });
  const texts = pc.createDataChannel('texts', { negotiated: true, id: 1023 });
  texts.onmessage = window.onRawText;
  pc.ondatachannel = (e) => {
    e.channel.binaryType = 'arraybuffer';
    e.channel.onmessage = window.onRawMessage;
  };
  await pc.setRemoteDescription({ type: 'offer', sdp });
  await pc.setLocalDescription(await pc.createAnswer());
  await window.gathered(pc);
  return pc.localDescription.sdp;
})`;

const FINISH = `(async ([index, sdp]) => {
  const { pc, channel, texts } = window.rawLinks[index];
  await pc.setRemoteDescription({ type: 'answer', sdp });
  for (const c of [channel, texts]) if (c.readyState !== 'open') await new Promise((resolve) => c.addEventListener('open', resolve, { once: true }));
})`;

const EXPECT = `((bytes) => {
  const r = window.rawReceived;
  r.bytes = 0;
  r.doneAt = 0;
  r.target = bytes;
  window.rawTexts = {};
  window.rawDone = new Promise((resolve) => (r.resolve = resolve));
})`;

/**
 * Sends `bytes` on every channel, interleaved, with the app's backpressure marks, and a text every
 * `textEvery` ms (0: none) on every text channel while it does; resolves with the start time and
 * when each text was sent.
 */
const SEND = `(async ([total, chunk, pauseAbove, resumeBelow, textEvery]) => {
  const channels = window.rawLinks.map((l) => l.channel);
  const data = new Uint8Array(chunk);
  crypto.getRandomValues(data.subarray(0, 65536));
  const sent = channels.map(() => 0);
  const startedAt = performance.timeOrigin + performance.now();
  for (const c of channels) c.bufferedAmountLowThreshold = resumeBelow;
  const texts = {};
  const typist = textEvery > 0 && setInterval(() => {
    const id = 't' + Object.keys(texts).length;
    texts[id] = performance.timeOrigin + performance.now();
    for (const l of window.rawLinks) l.texts.send(id);
  }, textEvery);
  await Promise.all(channels.map(async (c, i) => {
    while (sent[i] < total) {
      if (c.bufferedAmount > pauseAbove) {
        await new Promise((resolve) => c.addEventListener('bufferedamountlow', resolve, { once: true }));
        continue;
      }
      const n = Math.min(chunk, total - sent[i]);
      c.send(n === chunk ? data : data.subarray(0, n));
      sent[i] += n;
    }
  }));
  if (typist) clearInterval(typist);
  return { startedAt, texts };
})`;

export interface RawChannels {
  /** Moves `bytes` to both receivers at once; ms from the first send to the last byte, per receiver. */
  transfer(bytes: number): Promise<number[]>;
  /** The same, with a text every `everyMs` on the text channels meanwhile: ms from send to arrival, per text and receiver. */
  textsDuringTransfer(bytes: number, everyMs: number): Promise<number[]>;
  close(): Promise<void>;
}

/** One sender page and two receiver pages of their own (in `browser`), linked by raw data channels. */
export async function openRawChannels(browser: Browser): Promise<RawChannels> {
  const contexts: BrowserContext[] = await Promise.all([0, 1, 2].map(() => browser.newContext()));
  const [sender, ...receivers]: Page[] = await Promise.all(contexts.map((c) => c.newPage()));
  for (const page of [sender, ...receivers]) await page.evaluate(SETUP);
  for (const receiver of receivers) {
    const offer = (await sender.evaluate(OFFER)) as { index: number; sdp: string };
    const answer = (await receiver.evaluate(`${ANSWER}(${JSON.stringify(offer.sdp)})`)) as string;
    await sender.evaluate(`${FINISH}(${JSON.stringify([offer.index, answer])})`);
  }
  const run = async (bytes: number, textEveryMs: number) => {
    for (const receiver of receivers) await receiver.evaluate(`${EXPECT}(${bytes})`);
    const args = JSON.stringify([bytes, CHUNK_BYTES, CHANNEL_PAUSE_ABOVE_BYTES, CHANNEL_RESUME_BELOW_BYTES, textEveryMs]);
    const { startedAt, texts } = (await sender.evaluate(`${SEND}(${args})`)) as { startedAt: number; texts: Record<string, number> };
    const doneAt = await Promise.all(receivers.map((r) => r.evaluate('window.rawDone') as Promise<number>));
    return { took: doneAt.map((t) => t - startedAt), texts };
  };
  return {
    async transfer(bytes) {
      return (await run(bytes, 0)).took;
    },
    async textsDuringTransfer(bytes, everyMs) {
      const { texts } = await run(bytes, everyMs);
      const latencies: number[] = [];
      for (const receiver of receivers) {
        // A text still on its way when the last byte arrived comes right after it.
        await receiver.waitForFunction(`Object.keys(window.rawTexts).length >= ${Object.keys(texts).length}`, null, { timeout: 10_000 }).catch(() => {});
        const arrived = (await receiver.evaluate('window.rawTexts')) as Record<string, number>;
        for (const [id, sentAt] of Object.entries(texts)) latencies.push(id in arrived ? arrived[id] - sentAt : Infinity);
      }
      return latencies;
    },
    async close() {
      await Promise.all(contexts.map((c) => c.close().catch(() => {})));
    },
  };
}
