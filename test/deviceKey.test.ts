// Device keys and signed content records: what a forwarder cannot change without the signature
// failing, checked against node:crypto's own Ed25519 (an independent implementation).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { decodeBase64url, encodeBase64url } from '../shared/base64url';
import { exportDeviceSeed, generateDeviceKey, parsePublicKey, restoreDeviceKey, signWithDevice, verifyDeviceSignature, withSigner } from '../shared/deviceKey';
import { nodeSignEd25519, nodeVerifyEd25519 } from '../shared/nodeEd25519';
import { contentBytes, signContent, verifyContent, type ContentRecord } from '../shared/contentRecord';
import { ChatError } from '../shared/errors';

const text: ContentRecord = { kind: 'text', author: 'alice', device: 'dev-1', id: 'a'.repeat(32), sentAt: 1_764_300_000_000, text: 'héllo 世界' };
const image: ContentRecord = { kind: 'image', author: 'alice', device: 'dev-1', id: 'b'.repeat(32), sentAt: 1_764_300_000_001, sha256: 'c'.repeat(64), mime: 'image/png', size: 5, name: 'a.png' };

test('base64url round-trips every length and refuses non-canonical spellings', () => {
  for (let n = 0; n < 70; n++) {
    const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 255);
    const text = encodeBase64url(bytes);
    assert.is(text, Buffer.from(bytes).toString('base64url'));
    assert.equal(decodeBase64url(text), bytes);
  }
  assert.is(decodeBase64url('AB'), null, 'stray bits');
  assert.is(decodeBase64url('A'), null);
  assert.is(decodeBase64url('a+b/'), null, 'plain base64 alphabet');
  assert.is(decodeBase64url('QQ=='), null, 'padding');
});

test('a device key survives as its seed, and its signatures verify with node:crypto', () => {
  const key = generateDeviceKey();
  const again = restoreDeviceKey(exportDeviceSeed(key));
  assert.ok(again);
  assert.is(again!.publicKey, key.publicKey);
  const signature = signContent(key, text);
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(parsePublicKey(key.publicKey))]);
  assert.ok(nodeVerify(null, contentBytes(text), createPublicKey({ key: spki, format: 'der', type: 'spki' }), signature));
  assert.ok(verifyContent(parsePublicKey(key.publicKey), signature, text));
  assert.is(restoreDeviceKey('not a seed'), null);
});

test("node:crypto's signer makes the very signatures of the pure-JS one (Ed25519 is deterministic), and both verifiers agree", () => {
  const key = generateDeviceKey();
  const native = withSigner(key, nodeSignEd25519);
  const publicKey = decodeBase64url(key.publicKey)!;
  for (const message of [new Uint8Array(0), new TextEncoder().encode('hello'), new Uint8Array(5000).fill(7)]) {
    const signature = signWithDevice(native, message);
    assert.equal(signature, signWithDevice(key, message));
    assert.ok(nodeVerifyEd25519(publicKey, signature, message) && verifyDeviceSignature(publicKey, signature, message));
    const flipped = signature.slice();
    flipped[0] ^= 1;
    assert.not.ok(nodeVerifyEd25519(publicKey, flipped, message) || verifyDeviceSignature(publicKey, flipped, message));
  }
});

test('changing any field, or another key, breaks the signature', () => {
  const key = generateDeviceKey();
  const other = generateDeviceKey();
  const pub = parsePublicKey(key.publicKey);
  for (const record of [text, image]) {
    const signature = signContent(key, record);
    assert.ok(verifyContent(pub, signature, record));
    for (const field of Object.keys(record) as (keyof ContentRecord)[]) {
      const value = record[field];
      const altered = { ...record, [field]: typeof value === 'number' ? value + 1 : `${String(value)}x` } as ContentRecord;
      assert.not.ok(verifyContent(pub, signature, altered), `${record.kind}.${field}`);
    }
    assert.not.ok(verifyContent(parsePublicKey(other.publicKey), signature, record), 'another device');
    assert.not.ok(verifyContent(pub, signature.slice(1), record), 'truncated');
  }
  // Field boundaries are part of the bytes: moving text between fields changes them.
  assert.not.equal(contentBytes({ ...text, author: 'ali', device: 'cedev-1' }), contentBytes(text));
});

test('a public key that is not 32 bytes of base64url, or not a curve point, is refused as BAD_KEY', () => {
  const code = (v: unknown) => {
    try {
      parsePublicKey(v);
      return 'accepted';
    } catch (e) {
      return e instanceof ChatError ? e.code : 'other';
    }
  };
  assert.is(code(generateDeviceKey().publicKey), 'accepted');
  for (const bad of [undefined, 42, '', 'x'.repeat(43), encodeBase64url(new Uint8Array(31)), encodeBase64url(new Uint8Array(33)), 'A'.repeat(1000)]) assert.is(code(bad), 'BAD_KEY', String(bad).slice(0, 20));
  // y = 2 does not give a point on Ed25519 (no x with x^2 = (y^2-1)/(d y^2+1) mod p).
  const notOnCurve = new Uint8Array(32);
  notOnCurve[0] = 2;
  assert.is(code(encodeBase64url(notOnCurve)), 'BAD_KEY');
});

test.run();
