import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RelayWriter, type RelaySocket } from '../client/mesh/relayWriter';
import { decodeFrame, encodeFrame, frameBuffer, FrameType, newMessageId, type OutFrame } from '../shared/frames';
import { RELAY_BUNDLE_FRAMES_MAX } from '../shared/limits';

function setup(framesPerPeer = 4) {
  const sent: { to: string[]; frame: string }[] = [];
  const socket: RelaySocket & { online: boolean } = {
    online: true,
    sendRelay(to, frames) {
      for (const frame of frames) sent.push({ to: [...to], frame: new TextDecoder().decode(frameBuffer(frame)) });
      return true;
    },
  };
  const hooks = { envelopes: 0, flushes: 0 };
  const writer = new RelayWriter(socket, { sending: (n) => void (hooks.envelopes += n), flushed: () => void hooks.flushes++ }, framesPerPeer);
  return { sent, socket, hooks, writer };
}
const frame = (s: string) => new TextEncoder().encode(s);
const endOfTurn = () => new Promise<void>((resolve) => queueMicrotask(resolve));

test('one frame object for several peers in a turn is sent once naming them all', async () => {
  const { sent, hooks, writer } = setup();
  const chunk = frame('chunk0');
  writer.write('A', chunk);
  writer.write('B', chunk);
  writer.write('C', frame('chunk0')); // equal bytes, another object: not merged
  assert.equal(sent, [], 'nothing before the end of the turn');
  await endOfTurn();
  assert.equal(sent, [{ to: ['A', 'B'], frame: 'chunk0' }, { to: ['C'], frame: 'chunk0' }]);
  assert.equal(hooks, { envelopes: 2, flushes: 1 });
});

test("merging never reorders a peer's frames", async () => {
  const { sent, writer } = setup();
  const [f1, f2, x, y] = ['f1', 'f2', 'x', 'y'].map(frame);
  writer.write('B', x);
  writer.write('A', f1);
  writer.write('B', f1); // after B's x: may join A's f1
  writer.write('A', y);
  writer.write('A', f2);
  writer.write('B', f2);
  writer.write('C', f2);
  writer.write('C', f1); // C's f1 comes after its f2: must not join the earlier f1
  await endOfTurn();
  assert.equal(sent, [
    { to: ['B'], frame: 'x' },
    { to: ['A', 'B'], frame: 'f1' },
    { to: ['A'], frame: 'y' },
    { to: ['A', 'B', 'C'], frame: 'f2' },
    { to: ['C'], frame: 'f1' },
  ]);
  const orderOf = (peer: string) => sent.filter((e) => e.to.includes(peer)).map((e) => e.frame);
  assert.equal(orderOf('A'), ['f1', 'y', 'f2']);
  assert.equal(orderOf('B'), ['x', 'f1', 'f2']);
  assert.equal(orderOf('C'), ['f2', 'f1']);
});

test('a peer may queue a few frames per turn; a closed socket takes none', async () => {
  const { socket, writer } = setup(2);
  assert.ok(writer.accepts('A'));
  writer.write('A', frame('1'));
  writer.write('A', frame('2'));
  assert.not.ok(writer.accepts('A'));
  assert.ok(writer.accepts('B'), 'per peer');
  await endOfTurn();
  assert.ok(writer.accepts('A'), 'room again after the flush');
  socket.online = false;
  assert.not.ok(writer.write('A', frame('3')));
});

test('consecutive frames for the same peers travel as one message, at most RELAY_BUNDLE_FRAMES_MAX each', async () => {
  const payloads: { to: string[]; frames: readonly OutFrame[] }[] = [];
  const socket: RelaySocket = { online: true, sendRelay: (to, frames) => payloads.push({ to: [...to], frames }) > 0 };
  const writer = new RelayWriter(socket, { sending: () => {}, flushed: () => {} }, 8);
  const id = newMessageId();
  const chunks = Array.from({ length: RELAY_BUNDLE_FRAMES_MAX + 1 }, (_, i) => encodeFrame(FrameType.IMAGE_CHUNK, id, i, new Uint8Array(1000).fill(i)));
  for (const peer of ['A', 'B']) for (const chunk of chunks) writer.write(peer, chunk);
  const text = encodeFrame(FrameType.TEXT, newMessageId(), 1, { sentAt: 0, text: 'hi', base: 1 });
  writer.write('A', text);
  await endOfTurn();
  assert.equal(payloads.map((p) => p.to), [['A', 'B'], ['A', 'B'], ['A']]);
  assert.equal(payloads[0].frames.map((f) => decodeFrame(frameBuffer(f)).seq), Array.from({ length: RELAY_BUNDLE_FRAMES_MAX }, (_, i) => i), 'in order');
  assert.equal(payloads[1].frames, [chunks[RELAY_BUNDLE_FRAMES_MAX]]);
  assert.equal(payloads[2].frames, [text]);
});

test.run();
