// `npm run bench:relay-micro`: the CPU (not wall) time one process spends on a relayed 5 MiB image,
// step by step, with no sockets: building the sender's envelopes (bundles of 4 chunks for 2
// receivers), and at a receiver decoding them into the mesh's Receiver (reassembly + SHA-256), next
// to the bare SHA-256 and copies of 5 MiB into zero-filled and into unfilled memory. Medians of 30,
// after a warm-up: CPU time moves much less than wall time on a shared machine.

import { createHash } from 'node:crypto';
import { nodeSha256 } from '../client/cli/nodeSha256';
import { ImageFrames } from '../client/mesh/imageFrames';
import { Receiver } from '../client/mesh/receiver';
import { bundleSize, decodeFrame, FrameType, frameBuffer, newMessageId, writeBundle, type OutFrame } from '../shared/frames';
import { CHUNK_BYTES, IMAGE_MAX_BYTES, RELAY_BUNDLE_FRAMES_MAX } from '../shared/limits';
import { buildRelayRequest, decodeRelayEnvelope, decodeRelayRequest, restampInPlace } from '../shared/relayEnvelope';
import { uninitializedBytes } from '../shared/uninitializedBytes';
import { paddedPng } from '../test/helpers/imageFixtures';
import { nodeAead } from '../client/cli/nodeAead';
import { openSealed, sealOverhead, writeSealed } from '../shared/e2e/sealed';

const SIZE = IMAGE_MAX_BYTES;
const ROUNDS = 30;
const image = paddedPng(SIZE);
const chunks = Math.ceil(SIZE / CHUNK_BYTES);
const sha256 = createHash('sha256').update(image).digest('hex');
const [alice, bob] = ['A'.repeat(22), 'B'.repeat(22)];

/** The relay requests a sender builds for one image to two relayed peers. */
function envelopes(): Uint8Array[] {
  const frames = new ImageFrames(newMessageId(), { sentAt: Date.now(), name: 'x.png', mime: 'image/png', size: SIZE, chunks }, image, chunks);
  const all: OutFrame[] = [frames.first(), ...Array.from({ length: chunks }, (_, i) => frames.chunk(i)), frames.last({ sha256, sig: 'A'.repeat(86) })];
  const out: Uint8Array[] = [];
  for (let i = 0; i < all.length; i += RELAY_BUNDLE_FRAMES_MAX) {
    const group = all.slice(i, i + RELAY_BUNDLE_FRAMES_MAX);
    out.push(group.length === 1 ? buildRelayRequest([alice, bob], group[0].byteLength, (o) => o.set(frameBuffer(group[0]))) : buildRelayRequest([alice, bob], bundleSize(group), (o) => writeBundle(o, group)));
  }
  return out;
}

let delivered = 0;
const receiver = new Receiver({ maxImageBytes: () => SIZE, deliver: () => delivered++, sendControl: () => {}, progress: () => {}, error: (e) => console.error(e), authentic: () => true, sha256: nodeSha256 });

/** What the server and then a receiver do with them (the server's restamp included, in place). */
function receive(requests: Uint8Array[]): void {
  for (const bytes of requests) {
    const request = decodeRelayRequest(bytes);
    const { payload } = decodeRelayEnvelope(restampInPlace(bytes, request.payload.byteOffset - bytes.byteOffset, alice));
    const frame = decodeFrame(payload);
    if (frame.type === FrameType.BUNDLE) for (const inner of frame.body) receiver.handle(decodeFrame(inner), true);
    else receiver.handle(frame, true);
  }
}

const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};
function measure(label: string, step: (round: number) => void): void {
  step(-1);
  const times: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    const c0 = cpuMs();
    step(r);
    times.push(cpuMs() - c0);
  }
  times.sort((a, b) => a - b);
  console.log(`${label.padEnd(58)} ${times[ROUNDS >> 1].toFixed(2).padStart(6)} ms CPU (p25 ${times[ROUNDS >> 2].toFixed(2)}, p75 ${times[(3 * ROUNDS) >> 2].toFixed(2)})`);
}

measure('sender: the envelopes of one image (2 receivers)', () => void envelopes());
const prepared = Array.from({ length: ROUNDS + 1 }, envelopes);
measure('receiver: decode + Receiver (reassembly, SHA-256, checks)', (r) => receive(prepared[r + 1]));
measure('SHA-256 of 5 MiB (node:crypto)', () => void createHash('sha256').update(image).digest());
measure('5 MiB copied into zero-filled memory', () => void new Uint8Array(SIZE).set(image));
measure('5 MiB copied into unfilled memory (uninitializedBytes)', () => void uninitializedBytes(SIZE).set(image));
// End-to-end sealing of the same bytes in the relay's 256 KiB payloads (node:crypto's cipher), for
// 1, 2 and 7 receivers, and opening them at one receiver.
const PAYLOAD_BYTES = RELAY_BUNDLE_FRAMES_MAX * CHUNK_BYTES;
const sessionKey = new Uint8Array(32).fill(7);
const pairKey = new Uint8Array(32).fill(9);
let counter = 0;
function sealImage(receivers: number): Uint8Array[] {
  const targets = Array.from({ length: receivers }, (_, i) => ({ peerId: String.fromCharCode(65 + i).repeat(22), key: pairKey, counter: ++counter }));
  const out: Uint8Array[] = [];
  for (let at = 0; at < SIZE; at += PAYLOAD_BYTES) {
    const content = image.subarray(at, Math.min(at + PAYLOAD_BYTES, SIZE));
    const sealed = uninitializedBytes(sealOverhead(receivers) + content.byteLength);
    writeSealed(sealed, nodeAead, sessionKey, targets, content.byteLength, (region) => region.set(content));
    out.push(sealed);
  }
  return out;
}
for (const n of [1, 2, 7]) measure(`sender: seal 5 MiB for ${n} receiver${n > 1 ? 's' : ''} (256 KiB payloads)`, () => void sealImage(n));
for (const n of [1, 7]) {
  const sealedRounds = Array.from({ length: ROUNDS + 1 }, () => sealImage(n));
  let last = 0;
  measure(`receiver: open 5 MiB sealed for ${n}`, (r) => {
    last = 0;
    for (const payload of sealedRounds[r + 1]) last = openSealed(payload, nodeAead, 'A'.repeat(22), pairKey, last).counter - 1;
  });
}
if (delivered !== ROUNDS + 1) throw new Error(`${delivered} images delivered, expected ${ROUNDS + 1}`);
