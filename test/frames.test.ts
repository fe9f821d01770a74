import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ChatError } from '../shared/errors';
import { decodeFrame, encodeBundle, encodeFrame, encodeFrameParts, FrameError, frameBuffer, FrameType, FRAME_HEADER_BYTES, newMessageId } from '../shared/frames';
import { CHUNK_BYTES, PEER_FRAME_MAX_BYTES, RELAY_BUNDLE_FRAMES_MAX, TEXT_MAX_CHARS } from '../shared/limits';
import { createSha256, sha256Hex, toHex } from '../shared/sha256';
import { Reassembly } from '../client/mesh/reassembly';
import { Receiver, type Incoming } from '../client/mesh/receiver';
import { fakePng } from './helpers/mesh';
import { createHash } from 'node:crypto';
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

/** A well-formed signature; the receiver tests here do not check it (authentic: () => true). */
const SIG = 'A'.repeat(86);

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ChatError, 'a ChatError');
    return (err as ChatError).code;
  }
  throw new Error('did not throw');
}

test('sha256 matches the known vector, incremental equals one-shot', () => {
  assert.is(sha256Hex(new TextEncoder().encode('abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  const data = fakePng(200_000);
  assert.is(createSha256().update(data.subarray(0, 70_000)).update(data.subarray(70_000)).digestHex(), sha256Hex(data));
  for (const size of [0, 1, 55, 56, 63, 64, 65, 119, 120, 1000, 70_001]) {
    const bytes = data.subarray(0, size);
    const expected = createHash('sha256').update(bytes).digest('hex');
    assert.is(sha256Hex(bytes), expected, `size ${size}`);
    assert.is(toHex(nobleSha256(bytes)), expected);
    const h = createSha256();
    for (let i = 0; i < size; i += 7) h.update(bytes.subarray(i, i + 7));
    assert.is(h.digestHex(), expected, `7-byte pieces, size ${size}`);
  }
});

test('every frame type round-trips', () => {
  const id = newMessageId();
  assert.match(id, /^[0-9a-f]{32}$/);
  const text = decodeFrame(encodeFrame(FrameType.TEXT, id, 7, { sentAt: 1, text: 'héllo', base: 3, sig: SIG }));
  assert.equal(text, { type: FrameType.TEXT, id, seq: 7, body: { sentAt: 1, text: 'héllo', base: 3, sig: SIG } });
  const start = { sentAt: 2, name: 'a.png', mime: 'image/png', size: CHUNK_BYTES + 1, chunks: 2 };
  assert.equal(decodeFrame(encodeFrame(FrameType.IMAGE_START, id, 0, start)), { type: FrameType.IMAGE_START, id, seq: 0, body: start });
  assert.equal(decodeFrame(encodeFrame(FrameType.IMAGE_END, id, 2, { sha256: 'b'.repeat(64), sig: SIG })), { type: FrameType.IMAGE_END, id, seq: 2, body: { sha256: 'b'.repeat(64), sig: SIG } });
  assert.is(code(() => decodeFrame(encodeFrame(FrameType.IMAGE_END, id, 2, { sha256: 'b'.repeat(64), sig: 'A'.repeat(85) + 'B' }))), 'BAD_SIGNATURE', 'stray bits in the last character');
  assert.is(code(() => decodeFrame(encodeFrame(FrameType.TEXT, id, 2, { sentAt: 1, text: 'x', base: 0 }))), 'BAD_SIGNATURE', 'an unsigned text');
  const earlier = decodeFrame(encodeFrame(FrameType.TEXT, id, 7, { sentAt: 1, text: 'x', base: 3, sig: SIG, earlier: true }));
  assert.equal(earlier, { type: FrameType.TEXT, id, seq: 7, body: { sentAt: 1, text: 'x', base: 3, sig: SIG, earlier: true } }, 'a text sent to a peer that arrived after it');
  assert.is(code(() => decodeFrame(encodeFrame(FrameType.TEXT, id, 2, { sentAt: 1, text: 'x', base: 0, sig: SIG, earlier: 'yes' }))), 'BAD_FRAME', '"earlier" is true or absent');
  assert.is(code(() => decodeFrame(encodeFrame(FrameType.IMAGE_END, id, 2, { sha256: 'xyz', sig: SIG }))), 'BAD_FRAME');
  const chunk = decodeFrame(encodeFrame(FrameType.IMAGE_CHUNK, id, 1, new Uint8Array(CHUNK_BYTES)));
  assert.is(chunk.type === FrameType.IMAGE_CHUNK && chunk.body.byteLength, CHUNK_BYTES);
  assert.equal(decodeFrame(encodeFrame(FrameType.ACK, id, 0)), { type: FrameType.ACK, id, seq: 0 });
  assert.equal(decodeFrame(encodeFrame(FrameType.CHUNK_ACK, id, 12)), { type: FrameType.CHUNK_ACK, id, seq: 12 });
  assert.is(encodeFrame(FrameType.CHUNK_ACK, id, 12).byteLength, FRAME_HEADER_BYTES, 'a chunk ack is header only');
  assert.is(code(() => decodeFrame(encodeFrame(FrameType.CHUNK_ACK, id, 12, new Uint8Array(1)))), 'BAD_FRAME');
  const rej = decodeFrame(encodeFrame(FrameType.REJECT, id, 0, { code: 'HASH_MISMATCH', message: 'x' }));
  assert.equal(rej.type === FrameType.REJECT && rej.body, { code: 'HASH_MISMATCH', message: 'x' });
  assert.is(decodeFrame(encodeFrame(FrameType.PING, undefined, 0)).id, '0'.repeat(32));
});

test('oversized, truncated, unknown type, bad version, bad JSON, too long text are rejected with codes', () => {
  const id = newMessageId();
  assert.is(code(() => encodeFrame(FrameType.IMAGE_CHUNK, id, 0, new Uint8Array(PEER_FRAME_MAX_BYTES))), 'TOO_LARGE');
  assert.is(code(() => decodeFrame(new Uint8Array(PEER_FRAME_MAX_BYTES + 1))), 'TOO_LARGE');
  assert.is(code(() => decodeFrame(new Uint8Array(FRAME_HEADER_BYTES - 1))), 'BAD_FRAME');
  const unknown = encodeFrame(FrameType.ACK, id, 0);
  unknown[1] = 99;
  assert.is(code(() => decodeFrame(unknown)), 'UNKNOWN_TYPE');
  const version = encodeFrame(FrameType.ACK, id, 0);
  version[0] = 9;
  assert.is(code(() => decodeFrame(version)), 'UNSUPPORTED_VERSION');
  const badJson = encodeFrame(FrameType.TEXT, id, 0, new TextEncoder().encode('{"sentAt":1,'));
  assert.is(code(() => decodeFrame(badJson)), 'BAD_FRAME');
  try {
    decodeFrame(badJson);
  } catch (err) {
    assert.is((err as FrameError).messageId, id, 'the id is kept for the REJECT');
  }
  const long = encodeFrame(FrameType.TEXT, id, 0, { sentAt: 1, text: 'x'.repeat(TEXT_MAX_CHARS + 1), base: 0 });
  assert.is(code(() => decodeFrame(long)), 'TEXT_TOO_LONG');
  const svg = { sentAt: 1, name: 'a.svg', mime: 'image/svg+xml', size: 10, chunks: 1 };
  assert.is(code(() => decodeFrame(encodeFrame(FrameType.IMAGE_START, id, 0, svg))), 'BAD_IMAGE');
  const lying = { sentAt: 1, name: 'a.png', mime: 'image/png', size: 10, chunks: 5 };
  assert.is(code(() => decodeFrame(encodeFrame(FrameType.IMAGE_START, id, 0, lying))), 'BAD_FRAME');
});

function startOf(bytes: Uint8Array) {
  return { sentAt: 1, name: 'x.png', mime: 'image/png' as const, size: bytes.byteLength, chunks: Math.ceil(bytes.byteLength / CHUNK_BYTES) };
}

function feed(r: Reassembly, bytes: Uint8Array): void {
  for (let i = 0; i * CHUNK_BYTES < bytes.byteLength; i++) r.add(i, bytes.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES), 0);
}

test('reassembly: in-order chunks verify; out-of-order, wrong size, early end, wrong hash, non-image are refused', () => {
  const png = fakePng(3 * CHUNK_BYTES + 10);
  const ok = new Reassembly(startOf(png), 0);
  feed(ok, png);
  const done = ok.finish(sha256Hex(png));
  assert.equal(done.bytes, png);
  assert.is(done.mime, 'image/png');
  assert.is(code(() => new Reassembly(startOf(png), 0).add(1, png.subarray(CHUNK_BYTES, 2 * CHUNK_BYTES), 0)), 'BAD_FRAME');
  assert.is(code(() => new Reassembly(startOf(png), 0).add(0, png.subarray(0, 100), 0)), 'BAD_FRAME');
  const early = new Reassembly(startOf(png), 0);
  early.add(0, png.subarray(0, CHUNK_BYTES), 0);
  assert.is(code(() => early.finish(sha256Hex(png))), 'BAD_FRAME');
  const wrong = new Reassembly(startOf(png), 0);
  feed(wrong, png);
  assert.is(code(() => wrong.finish('b'.repeat(64))), 'HASH_MISMATCH');
  const notImage = new TextEncoder().encode('<svg onload="alert(1)"></svg>');
  assert.is(code(() => new Reassembly(startOf(notImage), 0).add(0, notImage, 0)), 'BAD_IMAGE');
});

function receiver(maxImageBytes = 1000) {
  const delivered: Incoming[] = [];
  const control: Uint8Array[] = [];
  const errors: string[] = [];
  const r = new Receiver({
    maxImageBytes: () => maxImageBytes,
    deliver: (m) => delivered.push(m),
    sendControl: (f) => control.push(f),
    progress: () => {},
    error: (e) => errors.push(e.code),
    authentic: () => true,
  });
  return { r, delivered, control, errors };
}

const textFrame = (id: string, seq: number, base: number, text: string) =>
  decodeFrame(encodeFrame(FrameType.TEXT, id, seq, { sentAt: 1, text, base, sig: SIG }));

test('receiver: texts exactly once, in order, gaps held until filled, abandoned gaps skipped', () => {
  const { r, delivered, control } = receiver();
  const ids = [newMessageId(), newMessageId(), newMessageId(), newMessageId()];
  r.handle(textFrame(ids[0], 5, 5, 'a'));
  r.handle(textFrame(ids[2], 7, 6, 'c')); // 6 still missing
  assert.equal(delivered.map((m) => m.kind === 'text' && m.text), ['a']);
  r.handle(textFrame(ids[1], 6, 6, 'b'));
  r.handle(textFrame(ids[1], 6, 6, 'b')); // duplicate after a re-send
  r.handle(textFrame(ids[0], 5, 5, 'a'));
  assert.equal(delivered.map((m) => m.kind === 'text' && m.text), ['a', 'b', 'c']);
  r.handle(textFrame(ids[3], 10, 10, 'd')); // the sender gave up on 8 and 9
  assert.equal(delivered.map((m) => m.kind === 'text' && m.text), ['a', 'b', 'c', 'd']);
  assert.is(control.length, 6, 'every copy is acked');
});

test('receiver: too large image and bad chunk are rejected and reported, never thrown', () => {
  const { r, control, errors, delivered } = receiver();
  const id = newMessageId();
  r.handle(decodeFrame(encodeFrame(FrameType.IMAGE_START, id, 0, startOf(fakePng(2000)))));
  assert.equal(errors, ['IMAGE_TOO_LARGE']);
  assert.is(decodeFrame(control[0]).type, FrameType.REJECT);
  const png = fakePng(900);
  const send = (id: string, sha: string) => {
    for (const [type, seq, body] of [[FrameType.IMAGE_START, 0, startOf(png)], [FrameType.IMAGE_CHUNK, 0, png], [FrameType.IMAGE_END, 1, { sha256: sha, sig: SIG }]] as const) {
      r.handle(decodeFrame(encodeFrame(type, id, seq, body)));
    }
  };
  send(newMessageId(), 'c'.repeat(64));
  assert.equal(errors, ['IMAGE_TOO_LARGE', 'HASH_MISMATCH']);
  const okId = newMessageId();
  send(okId, sha256Hex(png));
  send(okId, sha256Hex(png)); // re-sent after a path switch: acked, not delivered twice
  assert.is(delivered.length, 1);
  assert.equal(errors, ['IMAGE_TOO_LARGE', 'HASH_MISMATCH']);
  r.close();
});

test('receiver: CHUNK_ACKs (the direct window) only for chunks that came direct; every image is acked at the end', () => {
  const png = fakePng(5 * CHUNK_BYTES);
  const types = (relayed: boolean) => {
    const { r, control, delivered } = receiver(png.byteLength);
    const id = newMessageId();
    r.handle(decodeFrame(encodeFrame(FrameType.IMAGE_START, id, 0, startOf(png))), relayed);
    for (let i = 0; i < 5; i++) r.handle(decodeFrame(encodeFrame(FrameType.IMAGE_CHUNK, id, i, png.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES))), relayed);
    r.handle(decodeFrame(encodeFrame(FrameType.IMAGE_END, id, 5, { sha256: sha256Hex(png), sig: SIG })), relayed);
    r.close();
    assert.is(delivered.length, 1);
    return control.map((f) => decodeFrame(f)).map((f) => (f.type === FrameType.CHUNK_ACK ? `chunks ${f.seq}` : f.type === FrameType.ACK ? 'ack' : String(f.type)));
  };
  assert.equal(types(false), ['chunks 4', 'chunks 5', 'ack']);
  assert.equal(types(true), ['ack']);
});

test('receiver: an image started again on the relay after a path switch completes although the direct link still delivers what it had in flight', () => {
  const png = fakePng(6 * CHUNK_BYTES);
  const { r, delivered, errors } = receiver(png.byteLength);
  const id = newMessageId();
  const start = () => decodeFrame(encodeFrame(FrameType.IMAGE_START, id, 0, startOf(png)));
  const chunk = (i: number) => decodeFrame(encodeFrame(FrameType.IMAGE_CHUNK, id, i, png.subarray(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES)));
  const end = () => decodeFrame(encodeFrame(FrameType.IMAGE_END, id, 6, { sha256: sha256Hex(png), sig: SIG }));
  const [DIRECT, RELAY] = [false, true];
  r.handle(start(), DIRECT);
  for (let i = 0; i < 3; i++) r.handle(chunk(i), DIRECT);
  r.handle(start(), RELAY); // the link went quiet: the sender starts the image again on the relay
  for (let i = 0; i < 2; i++) r.handle(chunk(i), RELAY);
  r.handle(chunk(3), DIRECT); // ahead, from the link given up
  r.handle(chunk(1), DIRECT); // already in
  r.handle(chunk(2), RELAY);
  r.handle(chunk(4), DIRECT);
  r.handle(chunk(5), DIRECT);
  r.handle(end(), DIRECT); // the old path's end, before the relay brought every chunk
  assert.equal(errors, [], 'nothing refused');
  assert.is(delivered.length, 0);
  for (let i = 3; i < 6; i++) r.handle(chunk(i), RELAY);
  r.handle(end(), RELAY);
  assert.equal(errors, []);
  assert.is(delivered.length, 1, 'delivered once, whole');
  r.close();
  // On one path, which is ordered, a gap is still an error.
  const strict = receiver(png.byteLength);
  const other = newMessageId();
  strict.r.handle(decodeFrame(encodeFrame(FrameType.IMAGE_START, other, 0, startOf(png))), RELAY);
  strict.r.handle(decodeFrame(encodeFrame(FrameType.IMAGE_CHUNK, other, 1, png.subarray(CHUNK_BYTES, 2 * CHUNK_BYTES))), RELAY);
  assert.equal(strict.errors, ['BAD_FRAME']);
  strict.r.close();
});

test('frame parts: header plus a view of the body, the same bytes as an encoded frame, alone or bundled', () => {
  const id = newMessageId();
  const body = new Uint8Array(CHUNK_BYTES).map((_, i) => i % 253);
  const parts = encodeFrameParts(FrameType.IMAGE_CHUNK, id, 7, body);
  const whole = encodeFrame(FrameType.IMAGE_CHUNK, id, 7, body);
  assert.is(parts.body, body, 'no copy of the body');
  assert.is(parts.byteLength, whole.byteLength);
  assert.equal(frameBuffer(parts), whole);
  assert.equal(encodeBundle([parts, whole]), encodeBundle([whole, whole]));
  assert.is(code(() => encodeFrameParts(FrameType.IMAGE_CHUNK, id, 0, new Uint8Array(PEER_FRAME_MAX_BYTES))), 'TOO_LARGE');
});

test('bundles: frames in order as views, every length accounted for, no nesting', () => {
  const id = newMessageId();
  const frames = Array.from({ length: RELAY_BUNDLE_FRAMES_MAX }, (_, i) => encodeFrame(FrameType.IMAGE_CHUNK, id, i, new Uint8Array(CHUNK_BYTES).fill(i)));
  const bundle = encodeBundle(frames);
  const decoded = decodeFrame(bundle);
  assert.ok(decoded.type === FrameType.BUNDLE && decoded.seq === frames.length);
  assert.equal(decoded.body.map((f) => Buffer.from(f)), frames.map((f) => Buffer.from(f)));
  assert.is(decoded.body[0].buffer, bundle.buffer, 'no copy');

  assert.is(code(() => encodeBundle([])), 'BAD_FRAME');
  assert.is(code(() => encodeBundle([...frames, frames[0]])), 'BAD_FRAME', 'too many');
  assert.is(code(() => encodeBundle([encodeBundle(frames.slice(0, 1))])), 'BAD_FRAME', 'nested');
  const withCount = (count: number) => {
    const b = Uint8Array.from(bundle);
    new DataView(b.buffer).setUint32(18, count);
    return b;
  };
  assert.is(code(() => decodeFrame(withCount(0))), 'BAD_FRAME', 'count 0');
  assert.is(code(() => decodeFrame(withCount(frames.length - 1))), 'BAD_FRAME', 'bytes after the last frame');
  assert.is(code(() => decodeFrame(withCount(frames.length + 1))), 'BAD_FRAME', 'count over what is there');
  assert.is(code(() => decodeFrame(bundle.subarray(0, bundle.byteLength - 1))), 'BAD_FRAME', 'truncated');
  const tiny = encodeBundle([encodeFrame(FrameType.ACK, id, 0)]);
  new DataView(tiny.buffer).setUint32(FRAME_HEADER_BYTES, 3);
  assert.is(code(() => decodeFrame(tiny)), 'BAD_FRAME', 'a frame shorter than a header');
  const inner = encodeBundle([encodeFrame(FrameType.ACK, id, 0)]);
  const nested = encodeBundle([encodeFrame(FrameType.ACK, id, 0)]);
  nested[FRAME_HEADER_BYTES + 4 + 1] = FrameType.BUNDLE; // the inner frame claims to be a bundle
  assert.ok(inner.byteLength === nested.byteLength);
  assert.is(code(() => decodeFrame(nested)), 'BAD_FRAME', 'nested on the wire');
  assert.is(code(() => decodeFrame(new Uint8Array(PEER_FRAME_MAX_BYTES + 1).fill(FrameType.ACK, 1, 2))), 'TOO_LARGE', 'a plain frame stays under its own limit');
});

test.run();
