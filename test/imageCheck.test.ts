import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { checkImage } from '../shared/imageCheck';
import { ChatError } from '../shared/errors';
import { IMAGE_MAX_FRAMES, IMAGE_MAX_PIXELS, IMAGE_MAX_SIDE_PX, IMAGE_MAX_TOTAL_FRAME_PIXELS } from '../shared/limits';
import { checkPng } from '../shared/imageFormats/png';
import { checkJpeg } from '../shared/imageFormats/jpeg';
import { checkGif } from '../shared/imageFormats/gif';
import { checkWebp } from '../shared/imageFormats/webp';
import {
  JPEG_5X3,
  PNG_SIGNATURE,
  VP8L_5X3,
  WEBP_LOSSY_5X3,
  anmf,
  gifClaiming,
  makeAnimatedGif,
  makeAnimatedWebp,
  makeGif,
  makePng,
  makePngNear,
  paddedPng,
  pngChunk,
  pngClaiming,
  pngHeader,
  riffChunk,
  validImages,
  vp8x,
  webpClaiming,
  webpFile,
} from './helpers/imageFixtures';

const enc = (s: string) => Buffer.from(s, 'latin1');
const cat = (...parts: Uint8Array[]) => new Uint8Array(Buffer.concat(parts));

/** The code checkImage refuses `bytes` with (fails if it accepts them or throws anything else). */
function refusal(bytes: Uint8Array): string {
  try {
    const info = checkImage(bytes);
    return `accepted as ${info.mime} ${info.width}x${info.height}`;
  } catch (err) {
    if (!(err instanceof ChatError)) throw err;
    return err.code;
  }
}

test('valid png, jpeg, gif (still, animated) and webp (lossy, lossless, alpha, animated): type and size', () => {
  for (const image of validImages()) {
    assert.equal(checkImage(image.bytes), { mime: image.mime, width: image.width, height: image.height }, image.name);
  }
});

test('every truncation of every valid image is refused as BAD_IMAGE', () => {
  for (const image of validImages()) {
    for (let cut = 0; cut < image.bytes.length; cut++) {
      assert.is(refusal(image.bytes.subarray(0, cut)), 'BAD_IMAGE', `${image.name} cut at ${cut} of ${image.bytes.length}`);
    }
  }
});

test('not an image: svg renamed .png, html, text, empty, riff wave', () => {
  for (const text of ['<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', '<?xml version="1.0"?><svg/>', '<html><script>alert(1)</script>', 'hello', '', 'RIFF\x04\x00\x00\x00WAVE']) {
    assert.is(refusal(enc(text)), 'BAD_IMAGE', JSON.stringify(text));
  }
});

test('wrong magic: one flipped byte in each signature', () => {
  for (const image of validImages()) {
    const bytes = Uint8Array.from(image.bytes);
    bytes[1] ^= 0x20;
    assert.is(refusal(bytes), 'BAD_IMAGE', image.name);
  }
});

test('polyglots: anything after the end of the image is refused', () => {
  const html = enc('<html><script>alert(document.cookie)</script></html>');
  const zip = Buffer.from('504b0304140000000800', 'hex');
  for (const image of validImages()) {
    assert.is(refusal(cat(image.bytes, html)), 'BAD_IMAGE', `${image.name} + html`);
    assert.is(refusal(cat(image.bytes, zip)), 'BAD_IMAGE', `${image.name} + zip`);
  }
  assert.is(refusal(cat(makeGif(), enc('*/=1;alert(1)//'))), 'BAD_IMAGE', 'gif + js after the trailer');
  assert.is(refusal(cat(PNG_SIGNATURE, html)), 'BAD_IMAGE', 'png signature + html');
  assert.is(refusal(cat(PNG_SIGNATURE, pngChunk('IHDR', pngHeader(1, 1)), html)), 'BAD_IMAGE', 'png header + html');
  assert.is(refusal(cat(JPEG_5X3.subarray(0, 4), html)), 'BAD_IMAGE', 'jpeg start + html');
});

test('jpeg: a little zero padding after EOI is tolerated, more or other bytes are not', () => {
  assert.is(checkImage(cat(JPEG_5X3, new Uint8Array(16))).mime, 'image/jpeg');
  assert.is(refusal(cat(JPEG_5X3, new Uint8Array(65))), 'BAD_IMAGE');
  assert.is(refusal(cat(JPEG_5X3, enc('\0\0x'))), 'BAD_IMAGE');
});

test('png: bad header/metadata CRC, IHDR not first or of the wrong length, no IDAT, unknown critical chunk, data in IEND', () => {
  const ihdr = pngChunk('IHDR', pngHeader(2, 2));
  const idat = makePng(2, 2).subarray(PNG_SIGNATURE.length + ihdr.length, -12);
  const iend = pngChunk('IEND');
  assert.is(checkImage(cat(PNG_SIGNATURE, ihdr, idat, iend)).width, 2);
  const badCrc = Buffer.from(ihdr);
  badCrc[badCrc.length - 1] ^= 1;
  assert.is(refusal(cat(PNG_SIGNATURE, badCrc, idat, iend)), 'BAD_IMAGE', 'IHDR crc');
  const badText = Buffer.from(pngChunk('tEXt', enc('a\0b')));
  badText[10] ^= 1;
  assert.is(refusal(cat(PNG_SIGNATURE, ihdr, badText, idat, iend)), 'BAD_IMAGE', 'tEXt crc');
  // The pixel data's CRC is the decoder's to check (png.ts says why): its structure still is ours.
  const badIdat = Buffer.from(idat);
  badIdat[badIdat.length - 1] ^= 1;
  assert.is(checkImage(cat(PNG_SIGNATURE, ihdr, badIdat, iend)).width, 2, 'IDAT crc left to the decoder');
  assert.is(refusal(cat(PNG_SIGNATURE, pngChunk('tEXt', enc('a\0b')), ihdr, idat, iend)), 'BAD_IMAGE', 'IHDR not first');
  assert.is(refusal(cat(PNG_SIGNATURE, pngChunk('IHDR', Buffer.concat([pngHeader(2, 2), Buffer.alloc(1)])), idat, iend)), 'BAD_IMAGE', 'IHDR of 14 bytes');
  assert.is(refusal(cat(PNG_SIGNATURE, ihdr, iend)), 'BAD_IMAGE', 'no IDAT');
  assert.is(refusal(cat(PNG_SIGNATURE, ihdr, pngChunk('SCRP', enc('alert(1)')), idat, iend)), 'BAD_IMAGE', 'unknown critical chunk');
  assert.is(refusal(cat(PNG_SIGNATURE, ihdr, idat, pngChunk('IEND', enc('<html>')))), 'BAD_IMAGE', 'data in IEND');
  assert.is(refusal(cat(PNG_SIGNATURE, pngChunk('IHDR', pngHeader(0, 2)), idat, iend)), 'BAD_IMAGE', 'zero width');
  assert.is(refusal(cat(PNG_SIGNATURE, pngChunk('IHDR', pngHeader(2, 2, 2, 4)), idat, iend)), 'BAD_IMAGE', 'RGB at 4 bits');
  assert.is(refusal(cat(PNG_SIGNATURE, pngChunk('IHDR', pngHeader(2, 2, 3)), idat, iend)), 'BAD_IMAGE', 'palette without PLTE');
  // An ancillary chunk carrying HTML inside the structure is only data: it is never shown as markup.
  assert.is(checkImage(cat(PNG_SIGNATURE, ihdr, pngChunk('tEXt', enc('c\0<script>')), idat, iend)).mime, 'image/png');
});

test('decoded size capped: a valid png claiming 20000x20000 (correct CRC), jpeg 65535x65535, gif 65535x65535', () => {
  const huge = pngClaiming;
  assert.is(refusal(huge(20_000, 20_000)), 'IMAGE_TOO_MANY_PIXELS');
  assert.is(refusal(huge(IMAGE_MAX_SIDE_PX + 1, 1)), 'IMAGE_TOO_MANY_PIXELS', 'one side too long');
  assert.is(refusal(huge(1, 0x7fffffff)), 'IMAGE_TOO_MANY_PIXELS', 'PNG maximum');
  assert.is(checkImage(huge(IMAGE_MAX_SIDE_PX, Math.floor(IMAGE_MAX_PIXELS / IMAGE_MAX_SIDE_PX))).width, IMAGE_MAX_SIDE_PX, 'at the limits');
  assert.is(checkImage(huge(8000, 6000)).height, 6000, 'a 48 MP photo');
  assert.is(refusal(huge(8000, 6251)), 'IMAGE_TOO_MANY_PIXELS', 'just over IMAGE_MAX_PIXELS');

  const sof = JPEG_5X3.indexOf(Buffer.from([0xff, 0xc0]));
  const jpeg = Buffer.from(JPEG_5X3);
  jpeg.writeUInt16BE(65535, sof + 5);
  jpeg.writeUInt16BE(65535, sof + 7);
  assert.is(refusal(jpeg), 'IMAGE_TOO_MANY_PIXELS', 'jpeg');

  const gif = makeGif();
  gif.writeUInt16LE(65535, 6);
  gif.writeUInt16LE(65535, 8);
  assert.is(refusal(gif), 'IMAGE_TOO_MANY_PIXELS', 'gif screen');
  const gifFrame = makeGif();
  const descriptor = gifFrame.indexOf(0x2c);
  gifFrame.writeUInt16LE(30_000, descriptor + 5);
  assert.is(refusal(gifFrame), 'IMAGE_TOO_MANY_PIXELS', 'gif frame wider than its screen');

  const canvas = webpFile([riffChunk('VP8X', vp8x(0x02, 20_000, 20_000)), riffChunk('ANMF', anmf(5, 3, riffChunk('VP8L', VP8L_5X3)))]);
  assert.is(refusal(canvas), 'IMAGE_TOO_MANY_PIXELS', 'webp animation canvas');
});

test('animation frames capped: a gif or webp of IMAGE_MAX_FRAMES frames passes, one more is refused', () => {
  assert.equal(checkImage(makeAnimatedGif(IMAGE_MAX_FRAMES)), { mime: 'image/gif', width: 3, height: 2 }, 'gif at the limit');
  assert.is(refusal(makeAnimatedGif(IMAGE_MAX_FRAMES + 1)), 'IMAGE_TOO_MANY_FRAMES', 'gif one frame over');
  assert.equal(checkImage(makeAnimatedWebp(IMAGE_MAX_FRAMES)), { mime: 'image/webp', width: 5, height: 3 }, 'webp at the limit');
  assert.is(refusal(makeAnimatedWebp(IMAGE_MAX_FRAMES + 1)), 'IMAGE_TOO_MANY_FRAMES', 'webp one ANMF chunk over');
});

test('animation area capped: gif or webp frames summing to IMAGE_MAX_TOTAL_FRAME_PIXELS pass, one pixel more is refused', () => {
  // Full frames of the largest canvas (10000 x 5000 = IMAGE_MAX_PIXELS), a few dozen bytes each.
  const [width, height] = [10_000, IMAGE_MAX_PIXELS / 10_000];
  const full = IMAGE_MAX_TOTAL_FRAME_PIXELS / (width * height);
  assert.ok(Number.isInteger(height) && Number.isInteger(full), 'the cap is a whole number of full frames');
  const atCap = Array<[number, number]>(full).fill([width, height]);
  const overCap: [number, number][] = [...atCap, [1, 1]];
  assert.equal(checkImage(gifClaiming(atCap)), { mime: 'image/gif', width, height }, 'gif at the limit');
  assert.is(refusal(gifClaiming(overCap)), 'IMAGE_TOO_MANY_PIXELS', 'gif one pixel over');
  assert.equal(checkImage(webpClaiming(atCap)), { mime: 'image/webp', width, height }, 'webp at the limit');
  assert.is(refusal(webpClaiming(overCap)), 'IMAGE_TOO_MANY_PIXELS', 'webp one pixel over (sizes stored minus one)');
  // The bomb: IMAGE_MAX_FRAMES full frames fit in well under IMAGE_MAX_BYTES.
  const bomb = Array<[number, number]>(IMAGE_MAX_FRAMES).fill([width, height]);
  for (const [name, bytes] of [['gif', gifClaiming(bomb)], ['webp', webpClaiming(bomb)]] as const) {
    assert.ok(bytes.length < 256 * 1024, `${name} bomb of ${bytes.length} bytes`);
    assert.is(refusal(bytes), 'IMAGE_TOO_MANY_PIXELS', `${name} bomb`);
  }
});

test('jpeg: no frame header, no scan, second frame header, zero height (DNL)', () => {
  const sof = JPEG_5X3.indexOf(Buffer.from([0xff, 0xc0]));
  const sofLength = JPEG_5X3.readUInt16BE(sof + 2) + 2;
  const withoutSof = cat(JPEG_5X3.subarray(0, sof), JPEG_5X3.subarray(sof + sofLength));
  assert.is(refusal(withoutSof), 'BAD_IMAGE', 'no SOF');
  assert.is(refusal(cat(JPEG_5X3.subarray(0, sof + sofLength), Buffer.from([0xff, 0xd9]))), 'BAD_IMAGE', 'EOI before any scan');
  const twoSof = cat(JPEG_5X3.subarray(0, sof + sofLength), JPEG_5X3.subarray(sof));
  assert.is(refusal(twoSof), 'BAD_IMAGE', 'second SOF');
  const dnl = Buffer.from(JPEG_5X3);
  dnl.writeUInt16BE(0, sof + 5);
  assert.is(refusal(dnl), 'BAD_IMAGE', 'height 0');
});

test('gif: no image, unknown block, bad LZW code size', () => {
  const gif = makeGif();
  const descriptor = gif.indexOf(0x2c);
  assert.is(refusal(cat(gif.subarray(0, descriptor), Buffer.from([0x3b]))), 'BAD_IMAGE', 'no image');
  assert.is(refusal(cat(gif.subarray(0, descriptor), Buffer.from([0x99, 0x3b]))), 'BAD_IMAGE', 'unknown block');
  const codeSize = Buffer.from(gif);
  codeSize[descriptor + 10] = 12;
  assert.is(refusal(codeSize), 'BAD_IMAGE', 'LZW code size 12');
});

test('webp: RIFF size off by one either way, extra chunk after a simple image, mismatched sizes, no bitstream', () => {
  const longer = Buffer.from(WEBP_LOSSY_5X3);
  longer.writeUInt32LE(longer.readUInt32LE(4) + 2, 4);
  assert.is(refusal(longer), 'BAD_IMAGE', 'RIFF size too large');
  const shorter = Buffer.from(WEBP_LOSSY_5X3);
  shorter.writeUInt32LE(shorter.readUInt32LE(4) - 2, 4);
  assert.is(refusal(shorter), 'BAD_IMAGE', 'RIFF size too small (trailing data)');
  assert.is(refusal(webpFile([riffChunk('VP8L', VP8L_5X3), riffChunk('HTML', enc('<script>'))])), 'BAD_IMAGE', 'simple + extra chunk');
  assert.is(refusal(webpFile([riffChunk('VP8X', vp8x(0, 6, 3)), riffChunk('VP8L', VP8L_5X3)])), 'BAD_IMAGE', 'canvas != bitstream');
  assert.is(refusal(webpFile([riffChunk('VP8X', vp8x(0, 5, 3))])), 'BAD_IMAGE', 'VP8X without bitstream');
  assert.is(refusal(webpFile([riffChunk('VP8X', vp8x(0x02, 5, 3)), riffChunk('ANIM', Buffer.alloc(6))])), 'BAD_IMAGE', 'animation without frames');
  assert.is(refusal(webpFile([riffChunk('VP8X', vp8x(0x02, 4, 3)), riffChunk('ANMF', anmf(5, 3, riffChunk('VP8L', VP8L_5X3)))])), 'BAD_IMAGE', 'frame outside canvas');
  assert.is(refusal(webpFile([riffChunk('JUNK', Buffer.alloc(4))])), 'BAD_IMAGE', 'unknown first chunk');
});

test('random corruption of valid images: the format checkers throw ChatError or accept, nothing else', () => {
  const checkers = { 'image/png': checkPng, 'image/jpeg': checkJpeg, 'image/gif': checkGif, 'image/webp': checkWebp } as const;
  let seed = 12345;
  const random = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
  for (const image of validImages()) {
    const check = checkers[image.mime as keyof typeof checkers];
    for (let round = 0; round < 300; round++) {
      const bytes = Uint8Array.from(image.bytes);
      for (let flips = 1 + Math.floor(random() * 4); flips > 0; flips--) bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      try {
        check(bytes);
      } catch (err) {
        assert.instance(err, ChatError, `${image.name}: ${String(err)}`);
      }
    }
  }
});

test('a 5 MiB image is checked in a few milliseconds (a walk, not a decode)', () => {
  for (const [name, bytes] of [['padded png', paddedPng(5 * 1024 * 1024)], ['noise png', makePngNear(5 * 1024 * 1024)]] as const) {
    checkImage(bytes); // warm up
    const started = performance.now();
    checkImage(bytes);
    const ms = performance.now() - started;
    console.log(`  checkImage, 5 MiB ${name}: ${ms.toFixed(1)} ms`);
    assert.ok(ms < 500, `${name} took ${ms} ms`); // generous: the machine is shared
  }
});

test.run();
