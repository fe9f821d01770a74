// PNG structure (ISO/IEC 15948): signature, IHDR first, the CRC of the header and metadata chunks,
// the critical chunks a decoder needs, IEND last and nothing after it. No pixel data is decoded.
// The CRC of the pixel data (IDAT) and of any chunk over CRC_CHECKED_MAX_BYTES is left to the
// decoder, which checks it as it inflates: a CRC is no defence against a crafted file (anyone can
// compute one), the transfer is already proven by the image's SHA-256, and checking it here cost
// ~12 ms per 5 MiB on each side (JS CRC), more than the whole transfer on loopback.

import { crc32 } from './crc32';
import { bad, fourCC, need, nothingAfter, u32be } from './bytes';
import type { ImageSize } from './types';

const SIGNATURE_BYTES = 8;
/** Length, type and CRC around each chunk's data. */
const CHUNK_OVERHEAD_BYTES = 12;
const IHDR_BYTES = 13;
/** Chunk lengths and dimensions are at most 2^31 - 1 in PNG. */
const PNG_MAX_UINT = 0x7fffffff;
/** Allowed bit depths for each colour type. */
const BIT_DEPTHS: Record<number, readonly number[]> = {
  0: [1, 2, 4, 8, 16], // grey
  2: [8, 16], // RGB
  3: [1, 2, 4, 8], // palette
  4: [8, 16], // grey + alpha
  6: [8, 16], // RGBA
};
const KNOWN_CRITICAL = new Set(['IHDR', 'PLTE', 'IDAT', 'IEND']);
/** Chunks with more data than this (bytes), and IDAT, are not CRC-checked here (see above). */
const CRC_CHECKED_MAX_BYTES = 64 * 1024;

interface Chunk {
  type: string;
  dataStart: number;
  length: number;
  /** Offset just past its CRC. */
  end: number;
}

function isAsciiLetter(byte: number): boolean {
  const lower = byte | 0x20;
  return lower >= 0x61 && lower <= 0x7a;
}

function readChunk(bytes: Uint8Array, at: number): Chunk {
  const length = u32be(bytes, at, 'chunk length');
  if (length > PNG_MAX_UINT) bad(`chunk length ${length} over 2^31-1`);
  const type = fourCC(bytes, at + 4, 'chunk type');
  for (let i = at + 4; i < at + 8; i++) if (!isAsciiLetter(bytes[i])) bad(`chunk type is not four letters at byte ${at + 4}`);
  const end = at + CHUNK_OVERHEAD_BYTES + length;
  // Inline, not need(): a crafted file may hold ~400k empty chunks, and the message is built only on failure.
  if (end > bytes.length) need(bytes, end, `${type} chunk`);
  const dataStart = at + 8;
  const checked = type !== 'IDAT' && length <= CRC_CHECKED_MAX_BYTES;
  if (checked && crc32(bytes, at + 4, dataStart + length) !== u32be(bytes, dataStart + length, 'chunk CRC')) bad(`${type} chunk CRC mismatch`);
  return { type, dataStart, length, end };
}

function readHeader(bytes: Uint8Array, ihdr: Chunk): ImageSize & { colourType: number } {
  if (ihdr.type !== 'IHDR') bad(`first chunk is ${ihdr.type}, not IHDR`);
  if (ihdr.length !== IHDR_BYTES) bad(`IHDR of ${ihdr.length} bytes, not ${IHDR_BYTES}`);
  const at = ihdr.dataStart;
  const width = u32be(bytes, at, 'IHDR width');
  const height = u32be(bytes, at + 4, 'IHDR height');
  if (width === 0 || height === 0 || width > PNG_MAX_UINT || height > PNG_MAX_UINT) bad(`invalid dimensions ${width}x${height}`);
  const [depth, colourType, compression, filter, interlace] = bytes.subarray(at + 8, at + 13);
  if (!BIT_DEPTHS[colourType]?.includes(depth)) bad(`invalid colour type ${colourType} / bit depth ${depth}`);
  if (compression !== 0 || filter !== 0 || interlace > 1) bad('invalid compression, filter or interlace method');
  return { width, height, colourType };
}

export function checkPng(bytes: Uint8Array): ImageSize {
  need(bytes, SIGNATURE_BYTES, 'signature');
  const first = readChunk(bytes, SIGNATURE_BYTES);
  const header = readHeader(bytes, first);
  let seenPalette = false;
  let idatRuns = 0;
  let previous = first.type;
  // Each step moves at least CHUNK_OVERHEAD_BYTES forward: the walk is bounded by the file size.
  for (let at = first.end; ; ) {
    const chunk = readChunk(bytes, at);
    const { type } = chunk;
    if (type === 'IHDR') bad('second IHDR');
    if (type === 'PLTE') seenPalette = true;
    if (type === 'IDAT' && previous !== 'IDAT') idatRuns++;
    // Upper-case first letter: critical, a decoder must understand it or fail.
    if (type.charCodeAt(0) < 0x61 && !KNOWN_CRITICAL.has(type)) bad(`unknown critical chunk ${type}`);
    if (type === 'IEND') {
      if (chunk.length !== 0) bad('IEND with data');
      if (idatRuns !== 1) bad(idatRuns === 0 ? 'no IDAT chunk' : 'IDAT chunks not consecutive');
      if (header.colourType === 3 && !seenPalette) bad('palette image without PLTE');
      nothingAfter(bytes, chunk.end, 'IEND');
      return { width: header.width, height: header.height };
    }
    previous = type;
    at = chunk.end;
  }
}
