import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { RelayWriter, type RelaySocket } from '../client/mesh/relayWriter';

function setup(framesPerPeer = 4) {
  const sent: { to: string[]; frame: string }[] = [];
  const socket: RelaySocket & { online: boolean } = {
    online: true,
    sendRelay(to, payload) {
      sent.push({ to: [...to], frame: new TextDecoder().decode(payload) });
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

test.run();
