// Texts during a raw 5 MiB transfer between two Chromium pages (no app): sent every 100 ms on the bulk
// data channel itself vs on a second channel of the same connection (negotiated, id 7: no extra signaling).
// The bulk sender keeps at most 512 KiB buffered, as the app's direct window does. Prints Enter-less
// send -> onmessage latencies (issue 14: what a text lane of its own would give).
//
//   npx tsx test/browser-tools/textLane.ts
import { launchBrowser } from '../browser/support/browser';
const browser = await launchBrowser();
const ctxs = await Promise.all([0, 1].map(() => browser.newContext()));
const [s, r] = await Promise.all(ctxs.map((c) => c.newPage()));
const INIT = `(() => {
  window.gathered = (pc) => new Promise((res) => { if (pc.iceGatheringState === 'complete') return res(); pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && res()); });
  window.arrivals = {};
  window.onmsg = (e) => { if (typeof e.data === 'string') window.arrivals[e.data] = performance.timeOrigin + performance.now(); else window.bytes = (window.bytes || 0) + e.data.byteLength; };
})()`;
await s.evaluate(INIT); await r.evaluate(INIT);
const offer = await s.evaluate(`(async () => { const pc = new RTCPeerConnection(); window.pc = pc; window.bulk = pc.createDataChannel('bulk'); window.bulk.binaryType = 'arraybuffer'; window.ctl = pc.createDataChannel('ctl', { negotiated: true, id: 7 }); await pc.setLocalDescription(await pc.createOffer()); await window.gathered(pc); return pc.localDescription.sdp; })()`);
const answer = await r.evaluate(`(async (sdp) => { const pc = new RTCPeerConnection(); window.pc = pc; pc.ondatachannel = (e) => { e.channel.binaryType = 'arraybuffer'; e.channel.onmessage = window.onmsg; }; const ctl = pc.createDataChannel('ctl', { negotiated: true, id: 7 }); ctl.onmessage = window.onmsg; await pc.setRemoteDescription({ type: 'offer', sdp }); await pc.setLocalDescription(await pc.createAnswer()); await window.gathered(pc); return pc.localDescription.sdp; })(${JSON.stringify(offer)})`);
await s.evaluate(`(async (sdp) => { await window.pc.setRemoteDescription({ type: 'answer', sdp }); for (const c of [window.bulk, window.ctl]) if (c.readyState !== 'open') await new Promise((res) => c.addEventListener('open', res, { once: true })); })(${JSON.stringify(answer)})`);
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.ceil(xs.length * 0.95) - 1];
const res: Record<string, number[]> = { same: [], second: [] };
for (let round = 0; round < 8; round++) {
  for (const lane of ['same', 'second']) {
    await r.evaluate('window.bytes = 0; window.arrivals = {}');
    const sent = (await s.evaluate(`(async ([lane, round, windowed]) => {
      const c = window.bulk; const t = lane === 'same' ? window.bulk : window.ctl;
      c.bufferedAmountLowThreshold = 256 * 1024;
      const data = new Uint8Array(65536); let sent = 0; const total = 5 * 1024 * 1024; const texts = {};
      let next = performance.now() + 50; let k = 0;
      while (sent < total) {
        if (performance.now() >= next) { const id = lane + round + '-' + k++; texts[id] = performance.timeOrigin + performance.now(); t.send(id); next += 100; }
        if (c.bufferedAmount > (windowed ? 512 * 1024 : 1024 * 1024)) { await new Promise((res) => setTimeout(res, 5)); continue; }
        c.send(data); sent += 65536;
      }
      return texts;
    })(${JSON.stringify([lane, round, true])})`)) as Record<string, number>;
    await r.waitForFunction('window.bytes >= 5 * 1024 * 1024', null, { polling: 100 });
    const arr = (await r.evaluate('window.arrivals')) as Record<string, number>;
    for (const [id, t] of Object.entries(sent)) if (arr[id]) res[lane].push(arr[id] - t);
  }
}
for (const [lane, xs] of Object.entries(res)) console.log(`${lane} channel: n=${xs.length} p50 ${med(xs).toFixed(0)} ms p95 ${p95(xs).toFixed(0)} ms`);
await browser.close();
