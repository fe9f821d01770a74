import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { sniffImage } from '../shared/imageSniff';

const bytes = (...b: number[]) => new Uint8Array([...b, 0, 0, 0, 0]);

test('png, jpeg, gif87a, gif89a, webp are recognised from magic bytes', () => {
  assert.is(sniffImage(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a)), 'image/png');
  assert.is(sniffImage(bytes(0xff, 0xd8, 0xff, 0xe0)), 'image/jpeg');
  assert.is(sniffImage(new TextEncoder().encode('GIF87a....')), 'image/gif');
  assert.is(sniffImage(new TextEncoder().encode('GIF89a....')), 'image/gif');
  assert.is(sniffImage(new TextEncoder().encode('RIFF\x10\x00\x00\x00WEBPVP8 ')), 'image/webp');
});

test('svg, html, riff-but-not-webp, truncated and empty are refused', () => {
  const enc = (s: string) => new TextEncoder().encode(s);
  assert.is(sniffImage(enc('<svg xmlns="http://www.w3.org/2000/svg"></svg>')), null);
  assert.is(sniffImage(enc('<?xml version="1.0"?><svg/>')), null);
  assert.is(sniffImage(enc('<html><script>alert(1)</script>')), null);
  assert.is(sniffImage(enc('RIFF\x10\x00\x00\x00WAVEfmt ')), null);
  assert.is(sniffImage(new Uint8Array([0x89, 0x50, 0x4e])), null);
  assert.is(sniffImage(new Uint8Array(0)), null);
});

test.run();
