// Relay throughput and signaling latency between two probes, measured while the room is full.

import { CHUNK_BYTES } from '../../shared/limits';
import type { SignalFromMessage } from '../../shared/protocol';
import { encodeMessage } from '../../shared/protocol';
import { encodeRelayEnvelope } from '../../shared/relayEnvelope';
import type { Probe } from './probe';

/** Relay frames per run: 64 MiB of image-sized chunks, within the per-socket burst allowance. */
export const RELAY_FRAMES = 1_024;
/** Frames in flight (sent, not yet received): 2 MiB, below the relay's pause threshold. */
const RELAY_WINDOW_FRAMES = 32;
/** Signals per run, alternating direction, each sent when the previous one arrived. */
export const SIGNALS = 1_000;
/** One run may take at most this long (ms). */
const RUN_TIMEOUT_MS = 60_000;
/** A trickled ICE candidate, the commonest signal (TEST-NET address). */
const CANDIDATE = { type: 'candidate', candidate: { candidate: 'candidate:1 1 udp 2122260223 192.0.2.10 54400 typ host generation 0', sdpMid: '0', sdpMLineIndex: 0 } };

function bounded<T>(what: string, run: (done: (value: T) => void, fail: (error: Error) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} timed out after ${RUN_TIMEOUT_MS} ms`)), RUN_TIMEOUT_MS);
    run(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** Sends RELAY_FRAMES chunks from `from` to `to` through the relay; resolves with MiB/s (first send to last receipt). */
export function relayThroughput(from: Probe, to: Probe): Promise<number> {
  const payload = new Uint8Array(CHUNK_BYTES).map((_, i) => i % 251);
  const frame = encodeRelayEnvelope(to.self.peerId, payload);
  return bounded('relay run', (done, fail) => {
    let sent = 0;
    let received = 0;
    const started = performance.now();
    const pump = () => {
      while (sent < RELAY_FRAMES && sent - received < RELAY_WINDOW_FRAMES) {
        from.ws.send(frame);
        sent++;
      }
    };
    to.onBinary = () => {
      received++;
      if (received === RELAY_FRAMES) {
        to.onBinary = undefined;
        done((RELAY_FRAMES * CHUNK_BYTES) / (1024 * 1024) / ((performance.now() - started) / 1000));
      } else pump();
    };
    from.onMessage = (message) => {
      if (message.type === 'error') fail(new Error(`relay: ${message.code} ${message.message}`));
    };
    pump();
  });
}

/** Ping-pongs SIGNALS signals between `a` and `b`; resolves with each one-way latency (ms). */
export function signalingLatencies(a: Probe, b: Probe): Promise<number[]> {
  const latencies: number[] = [];
  return bounded('signaling run', (done, fail) => {
    let sentAt = 0;
    const send = (from: Probe, to: Probe) => {
      sentAt = performance.now();
      from.ws.send(encodeMessage({ type: 'signal', to: to.self.peerId, data: CANDIDATE }));
    };
    const receiver = (self: Probe, other: Probe) => (message: { type: string }) => {
      if (message.type === 'error') return fail(new Error(`signal: ${JSON.stringify(message)}`));
      if (message.type !== 'signal' || (message as SignalFromMessage).from !== other.self.peerId) return;
      latencies.push(performance.now() - sentAt);
      if (latencies.length === SIGNALS) {
        a.onMessage = b.onMessage = undefined;
        return done(latencies);
      }
      send(self, other);
    };
    a.onMessage = receiver(a, b);
    b.onMessage = receiver(b, a);
    send(a, b);
  });
}
