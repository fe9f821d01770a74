// shared/e2e: sealed relay payloads open only for their receiver, from their sender, once, unaltered;
// session keys are vouched for by device keys; SDP fingerprints are signed; safety numbers agree.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { generateDeviceKey } from '../shared/deviceKey';
import { ChatError } from '../shared/errors';
import { derivePairKeys, generateSessionKey, ownKeys, nobleAead, nobleX25519, openSealed, safetyNumber, sdpFingerprints, sdpSignedBy, sealOverhead, signSdp, verifiedSessionKey, writeSealed, type Aead, type PairKeys } from '../shared/e2e/index';
import { decodeBase64url } from '../shared/base64url';
import { nodeAead } from '../client/cli/nodeAead';
import { nodeX25519 } from '../client/cli/nodeX25519';
import { RELAY_SEAL_OVERHEAD_MAX_BYTES, RELAY_RECIPIENTS_MAX } from '../shared/limits';

interface Device {
  peerId: string;
  device: ReturnType<typeof generateDeviceKey>;
  session: ReturnType<typeof generateSessionKey>;
}

let idCounter = 0;
function device(): Device {
  const d = generateDeviceKey();
  const peerId = `peer${String(idCounter++).padStart(18, '0')}`;
  return { peerId, device: d, session: generateSessionKey(d) };
}

function keys(a: Device, b: Device): PairKeys {
  return derivePairKeys(ownKeys(a.device, a.session), b.device.publicKey, decodeBase64url(b.session.publicKey)!, b.session.publicKey);
}

function seal(aead: Aead, from: Device, to: Device[], content: Uint8Array, counters: number[]): Uint8Array {
  const out = new Uint8Array(sealOverhead(to.length) + content.byteLength);
  const targets = to.map((r, i) => ({ peerId: r.peerId, key: keys(from, r).send, counter: counters[i] }));
  writeSealed(out, aead, decodeBase64url(from.session.publicKey)!, targets, content.byteLength, (region) => region.set(content));
  return out;
}

function open(aead: Aead, bytes: Uint8Array, to: Device, from: Device, last = 0) {
  return openSealed(bytes.slice(), aead, to.peerId, keys(to, from).receive, last);
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return err instanceof ChatError ? err.code : `not a ChatError: ${err}`;
  }
  return 'no error';
}

const text = (s: string) => new TextEncoder().encode(s);

test('pair keys agree across the pair, one per direction', () => {
  const [a, b] = [device(), device()];
  const ab = keys(a, b);
  const ba = keys(b, a);
  assert.equal(ab.send, ba.receive);
  assert.equal(ab.receive, ba.send);
  assert.not.equal(ab.send, ab.receive);
});

test("node:crypto's X25519 derives the same pair keys as the pure-JS one, and refuses a small-order point too", () => {
  const [a, b] = [device(), device()];
  const peerSession = decodeBase64url(b.session.publicKey)!;
  const own = ownKeys(a.device, a.session);
  assert.equal(derivePairKeys(own, b.device.publicKey, peerSession, b.session.publicKey, nodeX25519), derivePairKeys(own, b.device.publicKey, peerSession, b.session.publicKey, nobleX25519));
  const smallOrder = new Uint8Array(32); // u = 0: every agreement with it is all zeroes
  for (const agree of [nodeX25519, nobleX25519]) {
    let code = '';
    try {
      derivePairKeys(own, b.device.publicKey, smallOrder, b.session.publicKey, agree);
    } catch (err) {
      code = (err as ChatError).code;
    }
    assert.is(code, 'BAD_KEY');
  }
});

test('a session key opens only with the proof of its own device', () => {
  const [a, b] = [device(), device()];
  assert.ok(verifiedSessionKey(a.device.publicKey, a.session.publicKey, a.session.proof));
  assert.is(verifiedSessionKey(b.device.publicKey, a.session.publicKey, a.session.proof), null, "another device's key");
  assert.is(verifiedSessionKey(a.device.publicKey, b.session.publicKey, a.session.proof), null, 'another session key');
});

test('sealed for three receivers: each opens the same content; the server sees none of it', () => {
  const [s, r1, r2, r3] = [device(), device(), device(), device()];
  const secret = text('the plan is at noon');
  const bytes = seal(nobleAead, s, [r1, r2, r3], secret, [1, 7, 3]);
  assert.is(Buffer.from(bytes).indexOf(Buffer.from(secret)), -1, 'no plaintext in the payload');
  for (const [r, counter] of [[r1, 1], [r2, 7], [r3, 3]] as const) {
    const opened = open(nobleAead, bytes, r, s);
    assert.equal(opened.content, secret);
    assert.is(opened.counter, counter);
  }
});

test('node:crypto and @noble/ciphers make and open the same payloads', () => {
  const [s, r] = [device(), device()];
  const content = new Uint8Array(200_000).map((_, i) => i * 7);
  assert.equal(open(nobleAead, seal(nodeAead, s, [r], content, [5]), r, s).content, content);
  assert.equal(open(nodeAead, seal(nobleAead, s, [r], content, [5]), r, s).content, content);
  assert.is(code(() => open(nodeAead, flip(seal(nobleAead, s, [r], content, [5]), 100), r, s)), 'SEALED_ALTERED');
});

function flip(bytes: Uint8Array, at: number): Uint8Array {
  const out = bytes.slice();
  out[at] ^= 1;
  return out;
}

test("any altered byte is refused, with one receiver or two (other receivers' wraps are theirs alone)", () => {
  const [s, r1, r2] = [device(), device(), device()];
  for (const to of [[r1], [r1, r2]]) {
    const bytes = seal(nobleAead, s, to, text('hello there'), [1, 1]);
    const end = bytes.byteLength - 56 * (to.length - 1);
    for (let at = 0; at < end; at++) {
      const c = code(() => open(nobleAead, flip(bytes, at), r1, s));
      assert.ok(c === 'SEALED_ALTERED' || c === 'SEALED_MISROUTED' || c === 'SEALED_REPLAYED', `${to.length} receivers, byte ${at}: ${c}`);
    }
  }
});

test('a replayed or reordered payload is refused: the counter must grow', () => {
  const [s, r] = [device(), device()];
  const first = seal(nobleAead, s, [r], text('one'), [1]);
  const second = seal(nobleAead, s, [r], text('two'), [2]);
  assert.is(open(nobleAead, second, r, s, 0).counter, 2);
  assert.is(code(() => open(nobleAead, second, r, s, 2)), 'SEALED_REPLAYED');
  assert.is(code(() => open(nobleAead, first, r, s, 2)), 'SEALED_REPLAYED');
});

test('rerouted: to another receiver, or stamped as from another sender, it does not open', () => {
  const [s, r, other, t] = [device(), device(), device(), device()];
  const bytes = seal(nobleAead, s, [r], text('for r only'), [1]);
  assert.is(code(() => open(nobleAead, bytes, other, s)), 'SEALED_MISROUTED');
  // The server names `t` as the sender: r opens with the t->r key.
  assert.is(code(() => open(nobleAead, bytes, r, t)), 'SEALED_ALTERED');
  // The receiver's id written over another's in the list.
  const moved = bytes.slice();
  for (let c = 0; c < 22; c++) moved[34 + c] = other.peerId.charCodeAt(c);
  assert.is(code(() => open(nobleAead, moved, other, s)), 'SEALED_ALTERED');
});

test('one receiver of a fanned-out payload cannot forge content for the others', () => {
  const [s, r1, r2] = [device(), device(), device()];
  const bytes = seal(nobleAead, s, [r1, r2], text('pay 10 to carol'), [1, 1]);
  // r2 opens its copy, learns the content key, and writes other content under it for r1.
  const forged = bytes.slice();
  const contentAt = 2 + 32 + 2 * 22;
  const len = bytes.byteLength - sealOverhead(2);
  const wrapAt = contentAt + len + 16 + 56; // r2's wrap
  const r2keys = keys(r2, s);
  const ck = forged.slice(wrapAt + 8, wrapAt + 40);
  const nonce = new Uint8Array(12);
  new DataView(nonce.buffer).setBigUint64(4, 1n);
  assert.ok(nobleAead.open(r2keys.receive, nonce, forged.subarray(0, contentAt + len + 16), ck, forged.subarray(wrapAt + 40, wrapAt + 56)));
  const content = text('pay 99 to mallo');
  nobleAead.seal(ck, new Uint8Array(12), forged.subarray(0, contentAt), content, forged.subarray(contentAt + len, contentAt + len + 16));
  forged.set(content, contentAt);
  assert.is(code(() => open(nobleAead, forged, r1, s)), 'SEALED_ALTERED');
});

test('the overhead bound of limits.ts covers the most receivers', () => {
  assert.is(sealOverhead(RELAY_RECIPIENTS_MAX), RELAY_SEAL_OVERHEAD_MAX_BYTES);
});

const SDP = 'v=0\r\na=fingerprint:sha-256 AB:CD:EF\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=candidate:1 1 udp 1 10.0.0.1 5000 typ host\r\n';

test('an SDP signed by its device verifies; swapped fingerprints, another signer or another receiver do not', () => {
  const [a, b, m] = [generateDeviceKey(), generateDeviceKey(), generateDeviceKey()];
  assert.equal(sdpFingerprints(SDP), ['sha-256 ab:cd:ef']);
  const sig = signSdp(a, 'att1', 'offer', SDP, b.publicKey)!;
  assert.ok(sdpSignedBy(a.publicKey, b.publicKey, 'att1', 'offer', SDP, sig));
  const withoutCandidates = SDP.replace(/a=candidate[^\n]*\n/, '');
  assert.ok(sdpSignedBy(a.publicKey, b.publicKey, 'att1', 'offer', withoutCandidates, sig), 'candidates are not signed');
  assert.not.ok(sdpSignedBy(a.publicKey, b.publicKey, 'att1', 'offer', SDP.replace('AB:CD:EF', 'AB:CD:EE'), sig), 'swapped fingerprint');
  assert.not.ok(sdpSignedBy(m.publicKey, b.publicKey, 'att1', 'offer', SDP, sig), 'another signer');
  assert.not.ok(sdpSignedBy(a.publicKey, m.publicKey, 'att1', 'offer', SDP, sig), 'another receiver');
  assert.not.ok(sdpSignedBy(a.publicKey, b.publicKey, 'att2', 'offer', SDP, sig), 'another attempt');
  assert.not.ok(sdpSignedBy(a.publicKey, b.publicKey, 'att1', 'offer', 'v=0\r\n', sig), 'no fingerprint');
  assert.is(signSdp(a, 'att1', 'offer', 'v=0\r\n', b.publicKey), null);
});

test('safety numbers: 12 digits in groups of 4, the same from both ends, different for another pair', () => {
  const [a, b, c] = [generateDeviceKey(), generateDeviceKey(), generateDeviceKey()];
  const ab = safetyNumber(a.publicKey, b.publicKey);
  assert.match(ab, /^\d{4} \d{4} \d{4}$/);
  assert.is(safetyNumber(b.publicKey, a.publicKey), ab);
  assert.is.not(safetyNumber(a.publicKey, c.publicKey), ab);
});

test.run();
