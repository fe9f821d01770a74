// Seeded random input for fuzz tests: a small PRNG (so a failure replays from its seed) and
// generators of hostile WebSocket frames, each tagged with what the server must do with it.

import { SIGNAL_MAX_BYTES, WS_MAX_PAYLOAD_BYTES } from '../../shared/limits';
import { encodeRelayEnvelope, encodeRelayRequest } from '../../shared/relayEnvelope';
import { PROTOCOL_VERSION } from '../../shared/limits';
import { deviceAuth, generateDeviceKey, type DeviceKeyPair } from '../../shared/deviceKey';

/** mulberry32: 32-bit state, good enough to pick test inputs, and reproducible. */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** The seed from `envName` when set (to replay a failure), else a fresh one; printed either way. */
export function fuzzSeed(envName: string): number {
  const fromEnv = process.env[envName];
  const seed = fromEnv !== undefined && fromEnv !== '' ? Number(fromEnv) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
  console.log(`    fuzz seed ${seed} (replay: ${envName}=${seed})`);
  return seed;
}

export class Rng {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = mulberry32(seed);
  }
  int(maxExclusive: number): number {
    return Math.floor(this.next() * maxExclusive);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  bytes(length: number): Buffer {
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) out[i] = this.int(256);
    return out;
  }
  /** A random peer-id-shaped string (22 base64url chars): almost surely nobody online. */
  peerId(): string {
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    let id = '';
    for (let i = 0; i < 22; i++) id += alphabet[this.int(64)];
    return id;
  }
}

/**
 * What the server must do with a frame, from the sender's point of view:
 * - error: answer with an error message (one per frame);
 * - none: no answer (forwarded, or an answer that is not an error);
 * - maybe: a mutation whose outcome is not known in advance (an error or nothing);
 * - close: close the socket with `closeCode` (always the last frame of a batch).
 */
export type Expect = 'error' | 'none' | 'maybe' | 'close';

export interface FuzzFrame {
  kind: string;
  data: string | Buffer;
  /** Send a Buffer as a text frame (invalid UTF-8). */
  asText?: boolean;
  expect: Expect;
  /** Error answers an 'error' frame gets (a relay frame naming several unknown peers gets one each). */
  errors?: number;
  closeCode?: number;
}

/** Who the frames may talk about. */
export interface FuzzTargets {
  /** Peers online for the whole test (the legitimate clients). */
  online: string[];
  /** A valid session token (auth again, or auth in the wrong state). */
  token: string;
  /** Ids the frames claim as their sender. */
  impersonate: string[];
}

const WEIRD_VALUES: unknown[] = [
  null,
  true,
  0,
  -0,
  1e308,
  -1e308,
  2 ** 53 + 1,
  Number.MAX_SAFE_INTEGER,
  0.1,
  'NaN',
  'Infinity',
  '-0',
  '',
  '\u0000',
  '\ud800',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  [],
  {},
  [1, [2, [3]]],
  { __proto__: null },
  'x'.repeat(300),
];

const PROTOTYPE_KEYS = ['__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', '__defineGetter__'];

/** JSON text of an object with an own key `key` (object literals would set the prototype instead). */
function withKey(json: string, key: string, valueJson: string): string {
  return `${json.slice(0, -1)},${JSON.stringify(key)}:${valueJson}}`;
}

function validSignal(rng: Rng, to: string, data: Record<string, unknown> = { type: 'offer', sdp: 'v=0' }): string {
  return JSON.stringify({ v: PROTOCOL_VERSION, type: 'signal', to, data: { ...data, n: rng.int(1e6) } });
}

/**
 * One device per session token for the fuzzers' auth messages (a key per message would only cost
 * time). Not one for all: a device key belongs to one account, so the second account's
 * 'auth-then-talk' with the same key was closed BAD_KEY (1008), whichever account bound it first.
 */
const fuzzDevices = new Map<string, DeviceKeyPair>();

function fuzzDevice(token: string): DeviceKeyPair {
  let key = fuzzDevices.get(token);
  if (!key) fuzzDevices.set(token, (key = generateDeviceKey()));
  return key;
}

function validAuth(token: string, rng: Rng): string {
  return JSON.stringify({ v: PROTOCOL_VERSION, type: 'auth', token, peerSecret: rng.peerId(), ...deviceAuth(fuzzDevice(token), token) });
}

/** A few random edits of a text: a flipped char, a cut, a repeated slice, an inserted token. */
function mutateText(rng: Rng, text: string): string {
  let out = text;
  const tokens = ['{', '}', '[', ']', '"', ',', ':', '\\', '\\u0000', 'null', '1e999', '-0', `"v":${PROTOCOL_VERSION}`, '"__proto__":{}', '\ud83d', 'é'];
  for (let edits = 1 + rng.int(4); edits > 0; edits--) {
    const at = rng.int(out.length + 1);
    switch (rng.int(4)) {
      case 0:
        out = out.slice(0, at) + String.fromCharCode(32 + rng.int(95)) + out.slice(at + 1);
        break;
      case 1:
        out = out.slice(0, at) + out.slice(at + 1 + rng.int(8));
        break;
      case 2:
        out = out.slice(0, at) + out.slice(at, at + rng.int(16)).repeat(2) + out.slice(at);
        break;
      default:
        out = out.slice(0, at) + rng.pick(tokens) + out.slice(at);
    }
  }
  return out;
}

/** A signal with one field replaced by a value of the wrong type. */
function wrongTypeSignal(rng: Rng, to: string): string {
  const message: Record<string, unknown> = { v: PROTOCOL_VERSION, type: 'signal', to, data: { sdp: 'v=0' } };
  const field = rng.pick(['to', 'data', 'type']);
  let value = rng.pick(WEIRD_VALUES);
  // Make sure the value really is wrong for that field.
  if (field === 'type' && typeof value === 'string') value = 7;
  if (field === 'data' && typeof value === 'object' && value !== null && !Array.isArray(value)) value = 'not an object';
  message[field] = value;
  return JSON.stringify(message);
}

function deeplyNested(rng: Rng, to: string): string {
  // Nesting that fits the size limit: JSON.parse copes, but forwarding it must not.
  const levels = 1_000 + rng.int(20_000);
  return `{"v":${PROTOCOL_VERSION},"type":"signal","to":"${to}","data":{"x":${'['.repeat(levels)}${']'.repeat(levels)}}}`;
}

/** Frames that never change the connection's state, for a socket that is online (authenticated). */
function onlineFrame(rng: Rng, t: FuzzTargets): FuzzFrame {
  const offline = rng.peerId();
  const legit = rng.pick(t.online);
  switch (rng.int(18)) {
    case 16: {
      // One payload to several receivers: legitimate ones (named twice: delivered once) and unknown ones.
      const ids = Array.from({ length: 2 + rng.int(6) }, () => (rng.chance(0.5) ? rng.pick(t.online) : rng.peerId()));
      const unknown = new Set(ids.filter((id) => !t.online.includes(id))).size;
      return { kind: 'relay-multicast', data: Buffer.from(encodeRelayRequest(ids, forgedRelayPayload(rng, t))), expect: unknown > 0 ? 'error' : 'none', errors: unknown };
    }
    case 17: {
      const full = encodeRelayRequest([legit, offline, legit], rng.bytes(8));
      return { kind: 'relay-multicast-truncated', data: Buffer.from(full.subarray(0, 2 + rng.int(3 * 22))), expect: 'error' };
    }
    case 0:
      // '#' first: never valid JSON, whatever follows.
      return { kind: 'garbage-text', data: `#${rng.bytes(rng.int(200)).toString('latin1')}`, expect: 'error' };
    case 1:
      return { kind: 'wrong-type', data: wrongTypeSignal(rng, offline), expect: 'error' };
    case 2:
      return { kind: 'not-an-object', data: JSON.stringify(rng.pick([null, 1, 'x', [1, 2], true, 1e309])), expect: 'error' };
    case 3:
      return { kind: 'unknown-type', data: JSON.stringify({ v: PROTOCOL_VERSION, type: rng.pick(['welcome', 'presence', 'shout', '', 'constructor', '__proto__']), to: legit }), expect: 'error' };
    case 4:
      return { kind: 'deep-nesting', data: deeplyNested(rng, legit), expect: 'error' };
    case 5: {
      // Prototype keys in the message and in its data: forwarded as plain data, or refused as unknown peer.
      const key = rng.pick(PROTOTYPE_KEYS);
      const toLegit = rng.chance(0.5);
      const data = JSON.parse(withKey('{"sdp":"v=0"}', key, '{"polluted":true,"v":2}')) as Record<string, unknown>;
      return { kind: 'prototype-keys', data: withKey(validSignal(rng, toLegit ? legit : offline, data), key, '{"v":2,"type":"auth"}'), expect: toLegit ? 'none' : 'error' };
    }
    case 6:
      return { kind: 'signal-unknown-peer', data: validSignal(rng, offline), expect: 'error' };
    case 7:
      // A sender written into the message: the server must stamp the real one.
      return { kind: 'signal-forged-from', data: JSON.stringify({ v: PROTOCOL_VERSION, type: 'signal', to: legit, from: rng.pick(t.impersonate), data: { from: rng.pick(t.impersonate), forged: true } }), expect: 'none' };
    case 8:
      return { kind: 'auth-again', data: validAuth(t.token, rng), expect: 'error' };
    case 9:
      return { kind: 'oversized-text', data: JSON.stringify({ v: PROTOCOL_VERSION, type: 'signal', to: legit, data: { big: 'é'.repeat(SIGNAL_MAX_BYTES / 2 + rng.int(400)) } }), expect: 'error' };
    case 10:
      return { kind: 'mutated', data: mutateText(rng, rng.chance(0.5) ? validSignal(rng, rng.chance(0.5) ? offline : legit) : validAuth(t.token, rng)), expect: 'maybe' };
    case 11:
      return { kind: 'binary-junk', data: rng.bytes(rng.int(300)), expect: 'maybe' };
    case 12:
      return { kind: 'relay-unknown-peer', data: Buffer.from(encodeRelayEnvelope(offline, rng.bytes(1 + rng.int(100)))), expect: 'error' };
    case 13:
      return { kind: 'relay-forged', data: Buffer.from(encodeRelayEnvelope(legit, forgedRelayPayload(rng, t))), expect: 'none' };
    case 14:
      return { kind: 'relay-truncated', data: Buffer.from(encodeRelayEnvelope(legit, rng.bytes(4)).subarray(0, 1 + rng.int(22))), expect: 'error' };
    default:
      return { kind: 'huge-numbers', data: `{"v":${PROTOCOL_VERSION},"type":"signal","to":${rng.pick(['1e400', '-0', '123456789012345678901234567890', 'NaN', '0x10'])},"data":{}}`, expect: 'error' };
  }
}

/** A relay payload that looks like an envelope naming another sender (the server must not care). */
function forgedRelayPayload(rng: Rng, t: FuzzTargets): Uint8Array {
  return encodeRelayEnvelope(rng.pick(t.impersonate), Buffer.from(`forged ${rng.int(1e6)}`));
}

/** Frames for a socket that has not authenticated: everything but auth is refused. */
function pendingFrame(rng: Rng, t: FuzzTargets): FuzzFrame {
  const legit = rng.pick(t.online);
  switch (rng.int(6)) {
    case 0:
      return { kind: 'signal-before-auth', data: validSignal(rng, legit), expect: 'error' };
    case 1:
      return { kind: 'relay-before-auth', data: Buffer.from(encodeRelayEnvelope(legit, rng.bytes(1 + rng.int(64)))), expect: 'error' };
    case 2:
      return { kind: 'binary-before-auth', data: rng.bytes(rng.int(100)), expect: 'error' };
    case 3:
      return { kind: 'bad-auth-shape', data: JSON.stringify({ v: PROTOCOL_VERSION, type: 'auth', token: rng.pick([42, '', null, 'x'.repeat(200)]), peerSecret: rng.pick(['short', 'not/base64+', 7, rng.peerId()]) }), expect: 'error' };
    case 4:
      return { kind: 'garbage-text', data: `#${rng.bytes(1 + rng.int(100)).toString('latin1')}`, expect: 'error' };
    default:
      return { kind: 'wrong-type', data: wrongTypeSignal(rng, legit), expect: 'error' };
  }
}

/** The last frame of a batch, sometimes: one that must close the socket, with its close code. */
function closingFrame(rng: Rng, t: FuzzTargets, online: boolean): FuzzFrame | undefined {
  switch (rng.int(online ? 8 : 9)) {
    case 0:
      return { kind: 'over-max-payload', data: rng.bytes(WS_MAX_PAYLOAD_BYTES + 1 + rng.int(1000)), expect: 'close', closeCode: 1009 };
    case 1: {
      // 100k levels: refused by size, by ws itself (1009) when over its payload limit.
      const data = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
      return data.length > WS_MAX_PAYLOAD_BYTES ? { kind: 'deep-100k', data, expect: 'close', closeCode: 1009 } : { kind: 'deep-100k', data, expect: 'error' };
    }
    case 2:
      return { kind: 'invalid-utf8', data: Buffer.from([0x7b, 0xc0, 0xae, 0xff, 0x7d]), asText: true, expect: 'close', closeCode: 1007 };
    case 3:
      return { kind: 'wrong-version', data: JSON.stringify({ v: rng.pick([0, PROTOCOL_VERSION - 1, PROTOCOL_VERSION + 1, String(PROTOCOL_VERSION), PROTOCOL_VERSION + 0.5, null, -0]), type: 'signal', to: rng.pick(t.online), data: {} }), expect: 'close', closeCode: 4006 };
    case 8:
      return { kind: 'auth-bad-token', data: validAuth(rng.peerId() + rng.peerId(), rng), expect: 'close', closeCode: 4002 };
    default:
      return undefined;
  }
}

export interface FuzzBatch {
  /** Authenticate before sending the frames. */
  online: boolean;
  frames: FuzzFrame[];
}

export function fuzzBatch(rng: Rng, targets: FuzzTargets, online: boolean): FuzzBatch {
  const frames: FuzzFrame[] = [];
  // Sometimes a socket authenticates and goes on at once: what follows meets the lookup in
  // progress (refused) or the socket online (forwarded), whichever comes first.
  const authFirst = !online && rng.chance(0.15);
  if (authFirst) frames.push({ kind: 'auth-then-talk', data: validAuth(targets.token, rng), expect: 'none' });
  for (let n = 3 + rng.int(20); n > 0; n--) {
    const frame = online ? onlineFrame(rng, targets) : pendingFrame(rng, targets);
    const forwardedOnceOnline = frame.kind === 'signal-before-auth' || frame.kind === 'relay-before-auth';
    frames.push(authFirst && forwardedOnceOnline ? { ...frame, expect: 'maybe' } : frame);
  }
  const last = rng.chance(0.25) ? closingFrame(rng, targets, online || authFirst) : undefined;
  if (last) frames.push(last);
  return { online, frames };
}
