import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { SendQueue, type FrameSource, type Transport } from '../client/mesh/sendQueue';
import { Outbox, type OutgoingText } from '../client/mesh/outbox';
import { DedupWindow } from '../client/mesh/dedup';
import { ImageWindow } from '../client/mesh/imageWindow';
import { CHUNK_BYTES, DIRECT_WINDOW_BYTES } from '../shared/limits';
import { frameBuffer } from '../shared/frames';

/** A transport that takes `perTurn` frames, then is "full" until `drain()`. */
function fakeTransport(perTurn: number) {
  const written: string[] = [];
  let budget = perTurn;
  const t: Transport & { written: string[]; drain(): void } = {
    written,
    writable: () => budget > 0,
    write: (frame) => {
      budget--;
      written.push(new TextDecoder().decode(frameBuffer(frame)));
      return true;
    },
    drain: () => (budget = perTurn),
  };
  return t;
}

function image(id: string, chunks: number): FrameSource {
  let i = 0;
  return { id, next: () => (i < chunks ? new TextEncoder().encode(`${id}:${i++}`) : null) };
}

const enc = (s: string) => new TextEncoder().encode(s);

test('a text overtakes an image in transfer; control frames go first; images do not interleave', () => {
  const q = new SendQueue(1_000_000);
  const t = fakeTransport(3);
  q.setTransport(t);
  q.pushBulk(image('img1', 10));
  q.pushBulk(image('img2', 2));
  assert.equal(t.written, ['img1:0', 'img1:1', 'img1:2']);
  q.pushText('t1', enc('text1'));
  q.pushControl(enc('ack'));
  t.drain();
  q.pump();
  assert.equal(t.written.slice(3), ['ack', 'text1', 'img1:3']);
  for (let i = 0; i < 5; i++) {
    t.drain();
    q.pump();
  }
  const images = t.written.filter((w) => w.startsWith('img'));
  assert.equal(images, [...Array.from({ length: 10 }, (_, i) => `img1:${i}`), 'img2:0', 'img2:1']);
  assert.ok(q.idle);
  q.close();
});

test('an image keeps the path it started on when the queue switches path; cancel drops it', () => {
  const q = new SendQueue(1_000_000);
  const relay = fakeTransport(2);
  const direct = fakeTransport(100);
  q.setTransport(relay);
  q.pushBulk(image('img', 4));
  q.setTransport(direct);
  q.pushText('t', enc('text'));
  assert.equal(direct.written, ['text']);
  relay.drain();
  q.pump();
  assert.equal(relay.written, ['img:0', 'img:1', 'img:2', 'img:3']);
  relay.drain();
  q.pump(); // the source reports its end
  q.pushBulk(image('next', 100));
  assert.is(direct.written[1], 'next:0', 'the next image takes the new path');
  q.cancel('next');
  assert.ok(q.idle);
  q.close();
});

test('outbox: bounded by count and image bytes, oldest given up first, base is the lowest unacked text', () => {
  const box = new Outbox(3, 100);
  const text = (seq: number): OutgoingText => ({ kind: 'text', id: `t${seq}`, seq, sentAt: 0, text: '', sig: '' });
  assert.equal(box.add(text(1)), []);
  box.add(text(2));
  box.add(text(3));
  assert.equal(box.add(text(4)).map((m) => m.id), ['t1']);
  assert.is(box.base(99), 2);
  box.remove('t2');
  assert.is(box.base(99), 3);
  const dropped = box.add({ kind: 'image', id: 'big', start: { sentAt: 0, name: '', mime: 'image/png', size: 150, chunks: 1 }, bytes: new Uint8Array(150), seal: null as never, frames: null as never });
  assert.equal(dropped.map((m) => m.id), ['t3', 't4'], 'texts give way, the new image stays even if alone over the byte bound');
  box.remove('big');
  assert.is(box.base(7), 7);
});

test('dedup window forgets the oldest id beyond its size', () => {
  const d = new DedupWindow(2);
  d.add('a');
  d.add('b');
  d.add('c');
  assert.ok(!d.has('a') && d.has('b') && d.has('c'));
});

test('direct window: an image stops at DIRECT_WINDOW_BYTES unacknowledged, an ack resumes it, text and control still go', () => {
  const q = new SendQueue(1_000_000); // no polling within the test: only pump() moves it
  const t = { ...fakeTransport(1_000), windowBytes: DIRECT_WINDOW_BYTES };
  q.setTransport(t);
  let sent = 0;
  const w = new ImageWindow(() => sent);
  const chunks = 3 * (DIRECT_WINDOW_BYTES / CHUNK_BYTES);
  q.pushBulk({ id: 'img', next: () => (sent < chunks ? enc(`img:${sent++}`) : null), blocked: (tr) => tr.windowBytes !== undefined && w.full(tr.windowBytes) });
  const perWindow = DIRECT_WINDOW_BYTES / CHUNK_BYTES;
  assert.is(sent, perWindow);
  try {
    q.pushText('t', enc('text'));
    q.pushControl(enc('ack'));
    assert.equal(t.written.slice(-2), ['text', 'ack'], 'not held by the full window');
    w.ack(2);
    q.pump();
    assert.is(sent, perWindow + 2);
    w.ack(999); // more than was sent (an ack of an earlier copy): clamped
    q.pump();
    assert.is(sent, 2 * perWindow + 2);
  } finally {
    q.close(); // its poll timer
  }
});

test('direct window: with its acks lost, a full window opens after the stall time (no deadlock)', () => {
  let clock = 1_000;
  let sent = 0;
  const w = new ImageWindow(() => sent, 1_000, () => clock);
  sent = 8;
  assert.ok(w.full(8 * CHUNK_BYTES));
  clock += 999;
  assert.ok(w.full(8 * CHUNK_BYTES));
  clock += 1;
  assert.not.ok(w.full(8 * CHUNK_BYTES));
  assert.is(w.inFlightBytes, 0);
  sent = 16;
  assert.ok(w.full(8 * CHUNK_BYTES), 'the next window waits for acks again');
  w.ack(16);
  assert.not.ok(w.full(8 * CHUNK_BYTES));
});

test.run();
