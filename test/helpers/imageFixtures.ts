// Small valid images of every supported format, built in the test (no fixture files). The JPEG and
// the WebP bitstreams were encoded by Chromium (canvas.toDataURL, ICC profile removed); each image
// here was checked to decode in Chromium to the size listed in validImages().

import { crc32, deflateSync } from 'node:zlib';
import { randomBytes } from 'node:crypto';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

/** The smallest canvas holding every frame listed at (0, 0). */
function canvasFor(frames: [width: number, height: number][]): [width: number, height: number] {
  return frames.reduce<[number, number]>(([width, height], [w, h]) => [Math.max(width, w), Math.max(height, h)], [1, 1]);
}

/** `make` of each frame size listed, made once per size (thousands of frames stay cheap). */
function framesOfSizes(frames: [width: number, height: number][], make: (width: number, height: number) => Buffer): Buffer[] {
  const made = new Map<string, Buffer>();
  return frames.map(([w, h]) => {
    const key = `${w}x${h}`;
    const frame = made.get(key) ?? make(w, h);
    made.set(key, frame);
    return frame;
  });
}

// ---- PNG ---------------------------------------------------------------------------------------
export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** One PNG chunk: length, type, data, CRC. */
export function pngChunk(type: string, data: Uint8Array = Buffer.alloc(0)): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([length, body, crc]);
}

/** IHDR data: 8-bit RGB unless told otherwise. */
export function pngHeader(width: number, height: number, colourType = 2, bitDepth = 8): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = bitDepth;
  header[9] = colourType;
  return header;
}

/** An RGB PNG; `random` fills it with noise and stores it uncompressed (for a file of a known size). */
export function makePng(width: number, height: number, options: { random?: boolean } = {}): Buffer {
  const rowBytes = width * 3 + 1;
  const raw = options.random ? randomBytes(rowBytes * height) : Buffer.alloc(rowBytes * height);
  for (let y = 0; y < height; y++) {
    raw[y * rowBytes] = 0; // filter: none
    if (!options.random) for (let x = 0; x < width; x++) raw.fill(x * 8, y * rowBytes + 1 + x * 3, y * rowBytes + 4 + x * 3);
  }
  return Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', pngHeader(width, height)), pngChunk('IDAT', deflateSync(raw, { level: options.random ? 0 : 6 })), pngChunk('IEND')]);
}

/** A noise PNG just under `maxBytes` (1024 px wide, stored uncompressed). */
export function makePngNear(maxBytes: number): Buffer {
  const width = 1024;
  const height = Math.floor((maxBytes - 4096) / (width * 3 + 1));
  return makePng(width, height, { random: true });
}

const ONE_PIXEL_IDAT = pngChunk('IDAT', deflateSync(Buffer.from([0, 0x33, 0x99, 0xff])));

/** A PNG whose header claims `width` x `height` (correct CRCs) over one pixel of data: tiny, huge once decoded. */
export function pngClaiming(width: number, height: number): Uint8Array {
  return new Uint8Array(Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', pngHeader(width, height)), ONE_PIXEL_IDAT, pngChunk('IEND')]));
}
/** Chunk overhead (length, type, CRC) in bytes. */
const PNG_CHUNK_OVERHEAD = 12;
/** The smallest size paddedPng can make (bytes). */
export const PADDED_PNG_MIN_BYTES = PNG_SIGNATURE.length + 25 + ONE_PIXEL_IDAT.length + PNG_CHUNK_OVERHEAD + 12;

/**
 * A valid 1x1 PNG of exactly `size` bytes: the rest is random data in a private ancillary chunk
 * (decoders skip it; random so that any corruption on the way shows in the hash). Fast at 5 MiB.
 */
export function paddedPng(size: number): Uint8Array {
  if (size < PADDED_PNG_MIN_BYTES) throw new Error(`paddedPng: at least ${PADDED_PNG_MIN_BYTES} bytes`);
  const padding = randomBytes(size - PADDED_PNG_MIN_BYTES);
  return new Uint8Array(Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', pngHeader(1, 1)), pngChunk('prVt', padding), ONE_PIXEL_IDAT, pngChunk('IEND')]));
}

// ---- JPEG --------------------------------------------------------------------------------------
/** 5x3 baseline JPEG (JFIF) from Chromium. */
export const JPEG_5X3 = Buffer.from(
  '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQYGBcUFhYaHSUfGhsjHBYWICwgIyYnKSopGR8tMC0oMCUoKSj/2wBDAQcHBwoIChMKChMoGhYaKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCj/wAARCAADAAUDASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAb/xAAYEAADAQEAAAAAAAAAAAAAAAAAARECIf/EABUBAQEAAAAAAAAAAAAAAAAAAAUH/8QAFxEBAQEBAAAAAAAAAAAAAAAAAQIAEf/aAAwDAQACEQMRAD8Al9aepZxTiSAAEqvXVaZJOBv/2Q==',
  'base64',
);

// ---- WebP --------------------------------------------------------------------------------------
/** A RIFF chunk (odd sizes padded). */
export function riffChunk(type: string, data: Uint8Array): Buffer {
  const header = Buffer.alloc(8);
  header.write(type, 0, 'latin1');
  header.writeUInt32LE(data.length, 4);
  return Buffer.concat([header, data, Buffer.alloc(data.length & 1)]);
}

export function webpFile(chunks: Uint8Array[]): Buffer {
  const body = Buffer.concat([Buffer.from('WEBP'), ...chunks]);
  const header = Buffer.alloc(8);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(body.length, 4);
  return Buffer.concat([header, body]);
}

/** VP8X data: flags and canvas size. */
export function vp8x(flags: number, width: number, height: number): Buffer {
  const data = Buffer.alloc(10);
  data[0] = flags;
  data.writeUIntLE(width - 1, 4, 3);
  data.writeUIntLE(height - 1, 7, 3);
  return data;
}

/** Lossy 5x3 key frame (VP8 chunk data) from Chromium. */
export const VP8_5X3 = hex('9001009d012a0500030001402625b00274ba00039800feef0110a3aade6889b1fc0a85569d1cf14d2fffedb429cce00197fec1c7fd838fdd3000');
/** Lossless 5x3 (VP8L chunk data) from Chromium. */
export const VP8L_5X3 = hex('2f048000000ff04ccdcf649ee67ffe8307cff888e87f1400');
/** Lossy 4x2 with an alpha plane (ALPH + VP8 chunk data) from Chromium. */
const ALPH_4X2 = hex('00808080008080800000');
const VP8_4X2 = hex('d001009d012a0400020001402625a00274ba01f80003b000fef36997fe6c0819a1f4c1ffa691e348f1a47ca68000');

export const WEBP_LOSSY_5X3 = webpFile([riffChunk('VP8 ', VP8_5X3)]);
export const WEBP_LOSSLESS_5X3 = webpFile([riffChunk('VP8L', VP8L_5X3)]);
export const WEBP_ALPHA_4X2 = webpFile([riffChunk('VP8X', vp8x(0x10, 4, 2)), riffChunk('ALPH', ALPH_4X2), riffChunk('VP8 ', VP8_4X2)]);

/** ANMF data: frame at (0, 0) of `width` x `height`, 100 ms, then its bitstream chunk. */
export function anmf(width: number, height: number, bitstream: Uint8Array): Buffer {
  const header = Buffer.alloc(16);
  header.writeUIntLE(width - 1, 6, 3);
  header.writeUIntLE(height - 1, 9, 3);
  header.writeUIntLE(100, 12, 3);
  return Buffer.concat([header, bitstream]);
}

/** An animated WebP: a `width` x `height` canvas, then `frames` (ANMF chunks). */
function webpAnimation(width: number, height: number, frames: Buffer[]): Buffer {
  return webpFile([riffChunk('VP8X', vp8x(0x02, width, height)), riffChunk('ANIM', Buffer.from([0, 0, 0, 0, 0, 0])), ...frames]);
}

/** A 5x3 animation of `frames` lossless frames (ANMF chunks). */
export function makeAnimatedWebp(frames: number): Buffer {
  return webpAnimation(5, 3, Array<Buffer>(frames).fill(riffChunk('ANMF', anmf(5, 3, riffChunk('VP8L', VP8L_5X3)))));
}

/** VP8L data whose header claims `width` x `height` (16384 a side at most) with no image data after it. */
function vp8lClaiming(width: number, height: number): Buffer {
  const data = Buffer.alloc(5);
  data[0] = 0x2f; // signature; then 14-bit width-1 and height-1, no alpha, version 0
  data.writeUInt32LE((width - 1) | ((height - 1) << 14), 1);
  return data;
}

/**
 * An animated WebP whose frames (at (0, 0), lossless) claim the sizes listed, on a canvas as large
 * as the largest: a few dozen bytes a frame, each its full size once decoded.
 */
export function webpClaiming(frames: [width: number, height: number][]): Buffer {
  const [width, height] = canvasFor(frames);
  return webpAnimation(width, height, framesOfSizes(frames, (w, h) => riffChunk('ANMF', anmf(w, h, riffChunk('VP8L', vp8lClaiming(w, h))))));
}

/** Two 5x3 lossless frames. */
export const WEBP_ANIMATED_5X3 = makeAnimatedWebp(2);

// ---- GIF ---------------------------------------------------------------------------------------
/** The classic 1x1 GIF89a. */
export function makeGif(): Buffer {
  return Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
}

/**
 * LZW image data for `pixels` (indices 0-3) at minimum code size 2, a clear code before every two
 * pixels so the code width stays 3 bits. Returned as sub-blocks with their terminator.
 */
function lzwSubBlocks(pixels: number[]): Buffer {
  const CLEAR = 4;
  const END = 5;
  const codes: number[] = [];
  pixels.forEach((p, i) => {
    if (i % 2 === 0) codes.push(CLEAR);
    codes.push(p);
  });
  codes.push(END);
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const code of codes) {
    acc |= code << bits;
    bits += 3;
    while (bits >= 8) {
      out.push(acc & 0xff);
      acc >>= 8;
      bits -= 8;
    }
  }
  if (bits > 0) out.push(acc & 0xff);
  return Buffer.from([2, out.length, ...out, 0]);
}

/** One GIF frame: a 100 ms graphic control extension, then an image at (0,0) of `width` x `height` (no local table) holding `pixels`. */
function gifFrame(width: number, height: number, pixels: number[]): Buffer {
  const descriptor = Buffer.from([0x2c, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  descriptor.writeUInt16LE(width, 5);
  descriptor.writeUInt16LE(height, 7);
  return Buffer.concat([Buffer.from([0x21, 0xf9, 4, 0, 10, 0, 0, 0]), descriptor, lzwSubBlocks(pixels)]);
}

/** A GIF89a of a `width` x `height` screen with a 4-colour table and a loop extension, then `frames` (gifFrame) and the trailer. */
function gifAnimation(width: number, height: number, frames: Buffer[]): Buffer {
  const screen = Buffer.from([0, 0, 0, 0, 0x81, 0, 0]); // global table of 4 colours
  screen.writeUInt16LE(width, 0);
  screen.writeUInt16LE(height, 2);
  return Buffer.concat([
    Buffer.from('GIF89a', 'latin1'),
    screen,
    Buffer.from([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255]),
    Buffer.from([0x21, 0xff, 11, ...Buffer.from('NETSCAPE2.0'), 3, 1, 0, 0, 0]),
    ...frames,
    Buffer.from([0x3b]),
  ]);
}

/** A 3x2 GIF89a with a 4-colour table, a loop extension and `frames` frames (two by default), alternating between two pictures. */
export function makeAnimatedGif(frames = 2): Buffer {
  const pictures = [gifFrame(3, 2, [0, 1, 2, 3, 2, 1]), gifFrame(3, 2, [3, 2, 1, 0, 1, 2])];
  return gifAnimation(3, 2, Array.from({ length: frames }, (_, i) => pictures[i % 2]));
}

/**
 * A GIF whose frames (at (0,0)) claim the sizes listed over one pixel of data each, on a screen as
 * large as the largest: a few dozen bytes a frame, each its full size once decoded.
 */
export function gifClaiming(frames: [width: number, height: number][]): Buffer {
  const [width, height] = canvasFor(frames);
  return gifAnimation(width, height, framesOfSizes(frames, (w, h) => gifFrame(w, h, [0])));
}

/** Every valid fixture with the size a decoder reports. */
export function validImages(): { name: string; bytes: Uint8Array; mime: string; width: number; height: number }[] {
  return [
    { name: 'png 7x5', bytes: makePng(7, 5), mime: 'image/png', width: 7, height: 5 },
    { name: 'png noise 64x32', bytes: makePng(64, 32, { random: true }), mime: 'image/png', width: 64, height: 32 },
    { name: 'png padded', bytes: paddedPng(300), mime: 'image/png', width: 1, height: 1 },
    { name: 'jpeg 5x3', bytes: JPEG_5X3, mime: 'image/jpeg', width: 5, height: 3 },
    { name: 'gif 1x1', bytes: makeGif(), mime: 'image/gif', width: 1, height: 1 },
    { name: 'gif animated 3x2', bytes: makeAnimatedGif(), mime: 'image/gif', width: 3, height: 2 },
    { name: 'webp lossy 5x3', bytes: WEBP_LOSSY_5X3, mime: 'image/webp', width: 5, height: 3 },
    { name: 'webp lossless 5x3', bytes: WEBP_LOSSLESS_5X3, mime: 'image/webp', width: 5, height: 3 },
    { name: 'webp alpha 4x2', bytes: WEBP_ALPHA_4X2, mime: 'image/webp', width: 4, height: 2 },
    { name: 'webp animated 5x3', bytes: WEBP_ANIMATED_5X3, mime: 'image/webp', width: 5, height: 3 },
  ];
}
