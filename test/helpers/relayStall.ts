// A relay sender against a receiver that stopped reading (test/fault-relay-stall, cluster's too).

import * as assert from 'uvu/assert';
import { RELAY_DROP_ABOVE_BYTES } from '../../shared/limits';
import { waitFor, type OnlineSocket } from './ws';

const MiB = 1024 * 1024;
/** Frames per burst before the test lets its own socket drain (keeps the test's memory flat too). */
export const BURST_FRAMES = 16;
const SENDER_BUFFER_MAX_BYTES = MiB;

/** Lets the event loop run until the socket's own send buffer is low (never a timed sleep). */
export async function drained(socket: OnlineSocket): Promise<void> {
  while (socket.ws.bufferedAmount > SENDER_BUFFER_MAX_BYTES) await new Promise((resolve) => setImmediate(resolve));
}

/** A well-behaved sender streams `frame` until it is told to pause for `receiver`; returns the bytes it sent. */
export async function streamUntilPaused(sender: OnlineSocket, receiver: string, frame: Uint8Array): Promise<number> {
  const pausedFor = () => sender.messages.some((m) => m.type === 'relay-flow' && m.peer === receiver && m.paused);
  let sent = 0;
  while (!pausedFor() && sent < 2 * RELAY_DROP_ABOVE_BYTES) {
    for (let i = 0; i < BURST_FRAMES; i++, sent += frame.length) sender.ws.send(frame);
    await drained(sender);
  }
  await waitFor(pausedFor, 5_000, 'relay-flow paused');
  assert.ok(sent < 2 * RELAY_DROP_ABOVE_BYTES, `paused after ${sent} bytes`);
  return sent;
}
