// WebP structure (RFC 9649): the RIFF size equals the file size, chunks padded to even sizes fill
// the file exactly, and the image chunks (VP8, VP8L, or VP8X with its still image or animation
// frames) carry dimensions that agree with each other.

import { bad, fourCC, frameCount, framePixels, need, u16le, u24le, u32le, u8 } from './bytes';
import type { ImageSize } from './types';

const RIFF_HEADER_BYTES = 12;
const CHUNK_HEADER_BYTES = 8;
const VP8X_BYTES = 10;
const ANMF_HEADER_BYTES = 16;
const VP8X_ANIMATION_FLAG = 0x02;
const VP8L_SIGNATURE = 0x2f;
const VP8_START_CODE = [0x9d, 0x01, 0x2a];

interface Chunk {
  type: string;
  dataStart: number;
  size: number;
}

/** The chunks filling bytes[start, end) exactly. Each step moves at least 8 bytes forward. */
function chunksIn(bytes: Uint8Array, start: number, end: number): Chunk[] {
  const chunks: Chunk[] = [];
  for (let at = start; at < end; ) {
    if (at + CHUNK_HEADER_BYTES > end) bad(`truncated: chunk header at byte ${at}`);
    const type = fourCC(bytes, at, 'chunk type');
    const size = u32le(bytes, at + 4, 'chunk size');
    const dataStart = at + CHUNK_HEADER_BYTES;
    at = dataStart + size + (size & 1); // odd sizes are followed by one padding byte
    if (at > end) bad(`truncated: ${type} chunk`);
    chunks.push({ type, dataStart, size });
  }
  return chunks;
}

/** Lossy bitstream: a key frame header carries the size. */
function vp8Size(bytes: Uint8Array, chunk: Chunk): ImageSize {
  const d = chunk.dataStart;
  if (chunk.size < 10) bad('VP8 chunk too short');
  const tag = u8(bytes, d, 'VP8 frame tag');
  if (tag & 0x01) bad('VP8 data is not a key frame');
  if (VP8_START_CODE.some((b, i) => bytes[d + 3 + i] !== b)) bad('VP8 start code missing');
  const width = u16le(bytes, d + 6, 'VP8 width') & 0x3fff;
  const height = u16le(bytes, d + 8, 'VP8 height') & 0x3fff;
  if (width === 0 || height === 0) bad(`invalid dimensions ${width}x${height}`);
  return { width, height };
}

/** Lossless bitstream: signature, 14-bit width-1 and height-1, alpha bit, 3-bit version 0. */
function vp8lSize(bytes: Uint8Array, chunk: Chunk): ImageSize {
  const d = chunk.dataStart;
  if (chunk.size < 5) bad('VP8L chunk too short');
  if (u8(bytes, d, 'VP8L signature') !== VP8L_SIGNATURE) bad('VP8L signature missing');
  const bits = u32le(bytes, d + 1, 'VP8L header');
  if (bits >>> 29 !== 0) bad('unknown VP8L version');
  return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
}

/** The one VP8/VP8L bitstream among `chunks` (an ALPH chunk may come with a VP8). */
function bitstreamSize(bytes: Uint8Array, chunks: Chunk[], what: string): ImageSize {
  const images = chunks.filter((c) => c.type === 'VP8 ' || c.type === 'VP8L');
  if (images.length !== 1) bad(`${what}: ${images.length} image bitstreams, expected 1`);
  return images[0].type === 'VP8 ' ? vp8Size(bytes, images[0]) : vp8lSize(bytes, images[0]);
}

function sameSize(a: ImageSize, b: ImageSize, what: string): void {
  if (a.width !== b.width || a.height !== b.height) bad(`${what}: ${a.width}x${a.height} does not match ${b.width}x${b.height}`);
}

function checkExtended(bytes: Uint8Array, chunks: Chunk[]): ImageSize {
  const header = chunks[0];
  if (header.size < VP8X_BYTES) bad('VP8X chunk too short');
  const flags = bytes[header.dataStart];
  const canvas = { width: u24le(bytes, header.dataStart + 4, 'canvas width') + 1, height: u24le(bytes, header.dataStart + 7, 'canvas height') + 1 };
  const rest = chunks.slice(1);
  if (!(flags & VP8X_ANIMATION_FLAG)) {
    sameSize(bitstreamSize(bytes, rest, 'still image'), canvas, 'image vs canvas');
    return canvas;
  }
  const frames = rest.filter((c) => c.type === 'ANMF');
  if (frames.length === 0) bad('animation without frames');
  frameCount(frames.length); // before any frame's own chunks are walked
  let pixels = 0; // decoded area of the frames so far
  for (const frame of frames) {
    if (frame.size < ANMF_HEADER_BYTES) bad('ANMF chunk too short');
    const d = frame.dataStart;
    const x = u24le(bytes, d, 'frame x') * 2;
    const y = u24le(bytes, d + 3, 'frame y') * 2;
    const size = { width: u24le(bytes, d + 6, 'frame width') + 1, height: u24le(bytes, d + 9, 'frame height') + 1 };
    if (x + size.width > canvas.width || y + size.height > canvas.height) bad('animation frame outside the canvas');
    pixels += size.width * size.height;
    framePixels(pixels); // before this frame's chunks are walked
    sameSize(bitstreamSize(bytes, chunksIn(bytes, d + ANMF_HEADER_BYTES, d + frame.size), 'animation frame'), size, 'frame bitstream vs frame');
  }
  return canvas;
}

export function checkWebp(bytes: Uint8Array): ImageSize {
  need(bytes, RIFF_HEADER_BYTES, 'RIFF header');
  const riffSize = u32le(bytes, 4, 'RIFF size');
  if (riffSize !== bytes.length - 8) {
    bad(riffSize > bytes.length - 8 ? `truncated: RIFF size ${riffSize}, file has ${bytes.length - 8}` : `${bytes.length - 8 - riffSize} bytes after the RIFF data (a second file appended?)`);
  }
  if (fourCC(bytes, 8, 'form type') !== 'WEBP') bad('RIFF form is not WEBP');
  const chunks = chunksIn(bytes, RIFF_HEADER_BYTES, bytes.length);
  if (chunks.length === 0) bad('no chunks');
  const first = chunks[0];
  if (first.type === 'VP8X') return checkExtended(bytes, chunks);
  // The simple formats are one bitstream chunk and nothing else.
  if (chunks.length !== 1) bad(`simple WebP with ${chunks.length} chunks`);
  if (first.type === 'VP8 ') return vp8Size(bytes, first);
  if (first.type === 'VP8L') return vp8lSize(bytes, first);
  return bad(`first chunk ${first.type} is not VP8, VP8L or VP8X`);
}
