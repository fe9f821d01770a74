// Many authenticated WebSocket clients in one process (forked by main.ts). They authenticate,
// then stay idle except for reading; on request they record when each one first receives a
// message containing some text (a probe's name in a join, its peer id in a leave).
//
// Messages are not JSON-parsed: with 10,000 peers, each client receives the whole room (~1 MB of
// JSON), and parsing 10,000 of those would make this process, not the server, the bottleneck.
// The first message must be the welcome; only its prefix is checked.

import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';

/** One device key per session token: every socket of a token is the same device, and keys are not free to make. */
const devices = new Map<string, DeviceKeyPair>();
function deviceOf(token: string): DeviceKeyPair {
  let key = devices.get(token);
  if (!key) devices.set(token, (key = generateDeviceKey()));
  return key;
}
import { epochNow, type FromClients, type ToClients } from './ipc';
import { generateDeviceKey, type DeviceKeyPair } from '../../shared/deviceKey';
import { authMessage, startsWith, Storm, type Identity } from './storm-client';
import { closeCodeFor, isFatalCloseCode, isOutdatedCloseCode, type ErrorCode } from '../../shared/errors';
import { reconnectDelayMs } from '../../shared/reconnectBackoff';
import { RoomView, selfOf } from './roomView';
import type { PeerInfo } from '../../shared/protocol';

/** Connections being opened or authenticated at once, when the coordinator does not say. */
const CONNECT_CONCURRENCY = 200;
/** How long one connection may take to open and be welcomed, retries included (ms). */
const CONNECT_TIMEOUT_MS = 60_000;
/** A progress report every this many connections. */
const PROGRESS_EVERY = 1_000;
const WELCOME_PREFIX = Buffer.from('{"type":"welcome"');

const reply = (message: FromClients) => process.send!(message);

interface Watch {
  id: number;
  needle: Buffer;
  times: Float64Array;
  pending: number;
}

const sockets: WebSocket[] = [];
/** What each socket of `sockets` resumes with (the restart storm). */
const identities: Identity[] = [];
/** The peer id of each socket of `sockets`, and its whole entry. */
const selves: string[] = [];
const selfInfos: PeerInfo[] = [];
/** The room as one socket was told it (the storm's digests). */
const view = new RoomView();

let storm: Storm | undefined;
let watch: Watch | undefined;
let unexpectedCloses = 0;
let stopping = false;

/** The last watch reported: asked again when its report crossed the coordinator's timeout. */
let reported: Watch | undefined;

function report(w: Watch): void {
  reported = w;
  reply({ ev: 'watched', id: w.id, times: Array.from(w.times), unexpectedCloses });
}

function onText(index: number, data: Buffer): void {
  const w = watch;
  if (!w || !Number.isNaN(w.times[index]) || !data.includes(w.needle)) return;
  w.times[index] = epochNow();
  if (--w.pending === 0) {
    watch = undefined;
    report(w);
  }
}

/** The server's answer instead of a welcome; `fatal` as the signaling client decides it (no retry). */
class Refused extends Error {
  readonly fatal: boolean;
  constructor(data: Buffer) {
    super(`not welcomed: ${data.subarray(0, 200).toString()}`);
    const code = (JSON.parse(data.toString('utf8')) as { code?: ErrorCode }).code;
    this.fatal = code !== undefined && (isFatalCloseCode(closeCodeFor(code)) || isOutdatedCloseCode(closeCodeFor(code)));
  }
}

/** Opens one connection and resolves once it is welcomed (rejects on error, refusal or timeout). */
function connectOne(wsUrl: string, token: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const id: Identity = { wsUrl, token, peerSecret: randomBytes(16).toString('base64url'), device: deviceOf(token) };
    // The server validates UTF-8 of what clients send; these clients skip it for what they receive.
    const ws = new WebSocket(wsUrl, { perMessageDeflate: false, skipUTF8Validation: true });
    const timer = setTimeout(() => fail(new Error('connect timed out')), CONNECT_TIMEOUT_MS);
    let index = -1;
    const fail = (error: Error) => {
      clearTimeout(timer);
      ws.terminate();
      reject(error);
    };
    ws.on('error', (error) => fail(error));
    ws.on('open', () => ws.send(authMessage(id)));
    ws.on('close', () => {
      if (index < 0 || stopping) return;
      if (storm) return storm.lost(index);
      unexpectedCloses++;
      let next = sockets.length - 1;
      while (next >= 0 && sockets[next].readyState !== WebSocket.OPEN) next--;
      view.lost(index, next >= 0 ? { index: next, self: selfInfos[next] } : undefined);
    });
    ws.on('message', (data: Buffer, isBinary) => {
      if (index >= 0) {
        if (isBinary) return;
        if (!storm) view.observe(index, data);
        onText(index, data);
        return;
      }
      if (isBinary || !startsWith(data, WELCOME_PREFIX)) return fail(new Refused(data));
      clearTimeout(timer);
      index = sockets.push(ws) - 1;
      identities[index] = id;
      selfInfos[index] = selfOf(data);
      selves[index] = selfInfos[index].peerId;
      view.welcomed(index, selfInfos[index], data);
      resolve(ws);
    });
  });
}

/** From now on a socket that is cut reconnects by itself; `expect`: the peers each must then know. */
const openCount = () => sockets.filter((ws) => ws.readyState === WebSocket.OPEN).length;

function armStorm(expect: number): number {
  storm?.stop();
  view.arm(identities, selves);
  const taking = openCount();
  storm = new Storm(
    identities,
    expect,
    (index, ws) => (sockets[index] = ws),
    onText,
    (outcome) => reply({ ev: 'storm', ...outcome }),
    taking,
  );
  return taking;
}

async function connectAll(wsUrl: string, tokens: string[], count: number, concurrency = CONNECT_CONCURRENCY): Promise<void> {
  const jobs = Array.from({ length: count }, (_, k) => tokens[k % tokens.length]);
  const authLatenciesMs: number[] = [];
  let next = 0;
  let failed = 0;
  let retries = 0;
  let firstError: string | undefined;
  const started = performance.now();
  // A refused or timed-out attempt is tried again as the signaling client does (its backoff and
  // jitter), within CONNECT_TIMEOUT_MS; the latency is until the welcome, retries included.
  const connectRetrying = async (token: string) => {
    const t0 = performance.now();
    for (let attempt = 0; ; attempt++) {
      try {
        await connectOne(wsUrl, token);
        return performance.now() - t0;
      } catch (error) {
        firstError ??= (error as Error).message;
        const delay = reconnectDelayMs(attempt);
        if ((error instanceof Refused && error.fatal) || performance.now() + delay - t0 > CONNECT_TIMEOUT_MS) throw error;
        retries++;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  };
  const worker = async () => {
    while (next < jobs.length) {
      const token = jobs[next++];
      try {
        authLatenciesMs.push(await connectRetrying(token));
        if (sockets.length % PROGRESS_EVERY === 0) reply({ ev: 'progress', connected: sockets.length });
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  reply({ ev: 'connected', connected: sockets.length, failed, retries, firstError, elapsedMs: performance.now() - started, authLatenciesMs });
}

function stop(): void {
  stopping = true;
  storm?.stop();
  for (const ws of sockets) ws.terminate();
  process.exit(0);
}

process.on('disconnect', stop);
process.on('message', (message: ToClients) => {
  switch (message.cmd) {
    case 'connect':
      return void connectAll(message.wsUrl, message.tokens, message.count, message.concurrency);
    case 'watch':
      watch = { id: message.id, needle: Buffer.from(message.needle), times: new Float64Array(sockets.length).fill(NaN), pending: sockets.length };
      return reply({ ev: 'armed', id: message.id });
    case 'watch-report':
      if (watch?.id === message.id) {
        report(watch);
        watch = undefined;
      } else if (reported?.id === message.id) report(reported);
      return;
    case 'storm-arm':
      return reply({ ev: 'storm-armed', taking: armStorm(message.expect) });
    case 'open-count':
      return reply({ ev: 'open-count', open: openCount() });
    case 'storm-report':
      if (storm) reply({ ev: 'storm', ...storm.outcome() });
      return;
    case 'stop':
      return stop();
  }
});
