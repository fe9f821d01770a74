// One outgoing text is encoded once per distinct `base`: peers in step share the frame object, which
// is what lets the relay send it once naming them all (relayWriter.ts).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { decodeFrame, FrameType, newMessageId } from '../shared/frames';
import { textFrame } from '../client/mesh/textFrames';
import type { OutgoingText } from '../client/mesh/outbox';

const text = (): OutgoingText => ({ kind: 'text', id: newMessageId(), seq: 7, sentAt: Date.now(), text: 'hello all', sig: 'A'.repeat(86) });

test('peers with the same base get the same frame object; another base gets its own frame', () => {
  const m = text();
  const a = textFrame(m, 7);
  assert.ok(textFrame(m, 7) === a, 'shared');
  const behind = textFrame(m, 5);
  assert.ok(behind !== a);
  const decoded = decodeFrame(behind);
  assert.is(decoded.type, FrameType.TEXT);
  if (decoded.type !== FrameType.TEXT) return;
  assert.is(decoded.body.base, 5);
  assert.is(decoded.seq, 7);
  assert.is(decoded.body.text, 'hello all');
});

test('an earlier copy (join race) is its own text, marked earlier', () => {
  const m = text();
  const earlier: OutgoingText = { ...m, earlier: true };
  const frame = textFrame(earlier, 7);
  assert.ok(frame !== textFrame(m, 7));
  const decoded = decodeFrame(frame);
  assert.ok(decoded.type === FrameType.TEXT && decoded.body.earlier === true);
});

test('many distinct bases: each still gets a correct frame (the cache is bounded, not the answers)', () => {
  const m = text();
  for (let base = 0; base < 20; base++) {
    const decoded = decodeFrame(textFrame(m, base));
    assert.ok(decoded.type === FrameType.TEXT && decoded.body.base === base);
  }
});

test.run();
