import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ImageFrames } from '../client/mesh/imageFrames';
import { decodeFrame, frameBuffer, FrameType, newMessageId } from '../shared/frames';
import { CHUNK_BYTES } from '../shared/limits';

test('frames are encoded once per image while recent, and stay correct after eviction', () => {
  const size = 3 * CHUNK_BYTES + 100;
  const bytes = new Uint8Array(size).map((_, i) => i % 241);
  const start = { sentAt: 1, name: 'a.png', mime: 'image/png' as const, size, chunks: 4 };
  const id = newMessageId();
  const frames = new ImageFrames(id, start, bytes, 2);
  assert.is(frames.first(), frames.first());
  assert.is(frames.chunk(0), frames.chunk(0), 'the same object for every peer in step');
  const first = frames.chunk(0);
  frames.chunk(1);
  frames.chunk(2); // evicts chunk 0
  const again = frames.chunk(0);
  assert.is.not(again, first, 'a peer far behind encodes its own copy');
  assert.equal(frameBuffer(again), frameBuffer(first), 'with the same bytes');
  const last = decodeFrame(frameBuffer(frames.chunk(3)));
  assert.ok(last.type === FrameType.IMAGE_CHUNK && last.id === id && last.seq === 3);
  assert.equal([...(last.body as Uint8Array)], [...bytes.subarray(3 * CHUNK_BYTES)]);
  const end = decodeFrame(frames.last({ sha256: 'ab'.repeat(32), sig: 'A'.repeat(86) }));
  assert.ok(end.type === FrameType.IMAGE_END && end.seq === 4 && end.body.sha256 === 'ab'.repeat(32));
});

test.run();
