// The validators on their own, fed what an attacker would send: they must only ever throw a
// ChatError, never pollute a prototype, and never let a claimed sender through.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ChatError } from '../shared/errors';
import { SIGNAL_MAX_BYTES } from '../shared/limits';
import { encodeMessage, MESSAGE_MAX_DEPTH, parseClientMessage, parseServerMessage } from '../shared/protocol';
import { decodeRelayEnvelope } from '../shared/relayEnvelope';
import { fuzzBatch, fuzzSeed, Rng } from './helpers/fuzz';
import { PROTOCOL_VERSION } from '../shared/limits';

const PEER = 'AbCdEfGhIjKlMnOpQrStUv';
const OTHER = 'ZyXwVuTsRqPoNmLkJiHgFe';
const INPUTS = 20_000;

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof ChatError)) throw new Error(`not a ChatError: ${String(error)}`);
    return error.code;
  }
  return 'accepted';
}

function assertPrototypesClean(): void {
  for (const proto of [Object.prototype, Array.prototype, Function.prototype]) {
    for (const key of ['polluted', 'v', 'type', 'admin']) assert.not.ok(Object.hasOwn(proto, key), `prototype gained ${key}`);
  }
  assert.is(({} as Record<string, unknown>).polluted, undefined);
}

test(`${INPUTS} random and mutated inputs: every validator only throws ChatError`, () => {
  const rng = new Rng(fuzzSeed('FUZZ_PROTOCOL_SEED'));
  const targets = { online: [PEER, OTHER], token: 't'.repeat(43), impersonate: [OTHER] };
  let inputs = 0;
  const outcomes = new Map<string, number>();
  while (inputs < INPUTS) {
    for (const frame of fuzzBatch(rng, targets, rng.chance(0.5)).frames) {
      inputs++;
      const text = typeof frame.data === 'string' ? frame.data : frame.data.toString('utf8');
      const bytes = typeof frame.data === 'string' ? new TextEncoder().encode(frame.data) : new Uint8Array(frame.data);
      for (const [name, run] of [
        ['client', () => parseClientMessage(text)],
        ['server', () => parseServerMessage(text)],
        ['relay', () => decodeRelayEnvelope(bytes)],
      ] as const) {
        const code = codeOf(run);
        outcomes.set(`${name} ${code}`, (outcomes.get(`${name} ${code}`) ?? 0) + 1);
      }
    }
  }
  console.log(`    ${inputs} inputs: ${[...outcomes].map(([k, n]) => `${k} ${n}`).join(', ')}`);
  assertPrototypesClean();
});

test('prototype keys are plain data: nothing polluted, nothing taken from them, forwarded as own keys', () => {
  for (const key of ['__proto__', 'constructor', 'prototype']) {
    const inner = `{"${key}":{"polluted":true,"v":${PROTOCOL_VERSION},"type":"auth"}}`;
    // The envelope's own fields cannot come from a prototype key.
    assert.is(codeOf(() => parseClientMessage(`{"${key}":{"v":${PROTOCOL_VERSION},"type":"signal","to":"${PEER}","data":{}}}`)), 'UNSUPPORTED_VERSION');
    assert.is(codeOf(() => parseClientMessage(`{"v":${PROTOCOL_VERSION},"${key}":{"type":"signal"},"to":"${PEER}","data":{}}`)), 'BAD_MESSAGE');
    const parsed = parseClientMessage(`{"v":${PROTOCOL_VERSION},"type":"signal","to":"${PEER}","${key}":{"to":"${OTHER}"},"data":${inner}}`);
    assert.is(parsed.type === 'signal' && parsed.to, PEER);
    assert.equal(Object.keys(parsed).sort(), ['data', 'to', 'type', 'v']);
    // What the server forwards and the receiver parses keeps the key as data.
    const forwarded = parseServerMessage(encodeMessage({ type: 'signal', from: OTHER, data: parsed.type === 'signal' ? parsed.data : {} }));
    assert.ok(forwarded.type === 'signal' && Object.hasOwn(forwarded.data, key));
    assert.is(forwarded.type === 'signal' && forwarded.from, OTHER);
  }
  assertPrototypesClean();
});

test('nesting: up to MESSAGE_MAX_DEPTH accepted, deeper refused, 100k levels refused by size, all as ChatError', () => {
  const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;
  // The message object is level 1 and data level 2.
  const signal = (dataDepth: number) => `{"v":${PROTOCOL_VERSION},"type":"signal","to":"${PEER}","data":{"x":${nested(dataDepth - 2)}}}`;
  assert.is(codeOf(() => parseClientMessage(signal(MESSAGE_MAX_DEPTH))), 'accepted');
  assert.is(codeOf(() => parseClientMessage(signal(MESSAGE_MAX_DEPTH + 1))), 'BAD_MESSAGE');
  // As deep as fits in SIGNAL_MAX_BYTES (2 bytes a level of arrays, 6 of objects).
  assert.is(codeOf(() => parseClientMessage(signal(8_000))), 'BAD_MESSAGE');
  assert.is(codeOf(() => parseClientMessage(`{"v":${PROTOCOL_VERSION},"type":"signal","to":"${PEER}","data":${'{"a":'.repeat(2_500)}1${'}'.repeat(2_500)}}`)), 'BAD_MESSAGE');
  assert.is(codeOf(() => parseClientMessage(nested(100_000))), 'TOO_LARGE');
  assert.is(codeOf(() => parseServerMessage(`{"v":${PROTOCOL_VERSION},"type":"signal","from":"${PEER}","data":{"x":${nested(5_000)}}}`)), 'BAD_MESSAGE');
});

test('size is counted in UTF-8 bytes', () => {
  const withText = (text: string) => JSON.stringify({ v: PROTOCOL_VERSION, type: 'signal', to: PEER, data: { text } });
  const overhead = withText('').length;
  assert.is(codeOf(() => parseClientMessage(withText('a'.repeat(SIGNAL_MAX_BYTES - overhead)))), 'accepted');
  assert.is(codeOf(() => parseClientMessage(withText('a'.repeat(SIGNAL_MAX_BYTES - overhead + 1)))), 'TOO_LARGE');
  // 2, 3 and 4 bytes a character: under the limit in UTF-16 units, over it in bytes.
  for (const char of ['é', '中', '😀']) {
    const text = char.repeat(Math.ceil(SIGNAL_MAX_BYTES / new TextEncoder().encode(char).length));
    assert.ok(withText(text).length <= SIGNAL_MAX_BYTES || char === 'é', char);
    assert.is(codeOf(() => parseClientMessage(withText(text))), 'TOO_LARGE', char);
  }
});

test('numbers and look-alikes: only the exact current version and real strings pass', () => {
  const V = PROTOCOL_VERSION;
  for (const v of ['1e309', '-0', '0', `${V - 1}`, `${V + 1}`, `${V}.0000001`, `"${V}"`, 'null', `[${V}]`, `{"valueOf":${V}}`, '9007199254740993']) {
    assert.is(codeOf(() => parseClientMessage(`{"v":${v},"type":"signal","to":"${PEER}","data":{}}`)), 'UNSUPPORTED_VERSION', v);
  }
  // 2.0 and 2e0 are the number 2.
  assert.is(codeOf(() => parseClientMessage(`{"v":${PROTOCOL_VERSION}e0,"type":"signal","to":"${PEER}","data":{}}`)), 'accepted');
  for (const to of ['1e309', 'NaN', '-0', '12345678901234567890123', '"NaN"', '"Infinity"', `"${PEER}\\u0000"`, `"${PEER.slice(1)}\\u00e9"`]) {
    assert.ok(['BAD_MESSAGE', 'BAD_JSON'].includes(codeOf(() => parseClientMessage(`{"v":${PROTOCOL_VERSION},"type":"signal","to":${to},"data":{}}`))), to);
  }
});

test.run();
