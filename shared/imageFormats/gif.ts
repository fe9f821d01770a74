// GIF structure (GIF87a / GIF89a): logical screen, colour tables, extensions and image
// descriptors with their data sub-blocks, the trailer (0x3B) last and nothing after it.

import { bad, frameCount, framePixels, need, nothingAfter, u16le, u8 } from './bytes';
import type { ImageSize } from './types';

const HEADER_BYTES = 6;
const SCREEN_DESCRIPTOR_BYTES = 7;
const IMAGE_DESCRIPTOR_BYTES = 9;
const EXTENSION = 0x21;
const IMAGE = 0x2c;
const TRAILER = 0x3b;
/** LZW minimum code size: 2-8 by the specification (decoders reject 12 and up). */
const LZW_MIN_CODE_SIZE_RANGE = [2, 8] as const;

/** Bytes of the colour table announced by a packed field (none when its top bit is clear). */
function colourTableBytes(packed: number): number {
  return packed & 0x80 ? 3 * (1 << ((packed & 0x07) + 1)) : 0;
}

/** Offset just past a chain of data sub-blocks (size byte + data, ended by a zero size). */
function skipSubBlocks(bytes: Uint8Array, at: number, what: string): number {
  // Each step moves at least one byte forward.
  for (let size = u8(bytes, at, what); size !== 0; size = u8(bytes, at, what)) {
    at += 1 + size;
    need(bytes, at, what);
  }
  return at + 1;
}

export function checkGif(bytes: Uint8Array): ImageSize {
  need(bytes, HEADER_BYTES + SCREEN_DESCRIPTOR_BYTES, 'logical screen descriptor');
  let width = u16le(bytes, HEADER_BYTES, 'screen width');
  let height = u16le(bytes, HEADER_BYTES + 2, 'screen height');
  let at = HEADER_BYTES + SCREEN_DESCRIPTOR_BYTES + colourTableBytes(bytes[HEADER_BYTES + 4]);
  let frames = 0;
  let pixels = 0; // decoded area of the frames so far
  for (;;) {
    const block = u8(bytes, at, 'block');
    if (block === TRAILER) {
      if (frames === 0) bad('no image in the file');
      nothingAfter(bytes, at + 1, 'the trailer');
      // Some decoders grow a logical screen smaller than its frames: the larger extent counts.
      if (width === 0 || height === 0) bad(`invalid dimensions ${width}x${height}`);
      return { width, height };
    }
    if (block === EXTENSION) {
      u8(bytes, at + 1, 'extension label');
      at = skipSubBlocks(bytes, at + 2, 'extension');
    } else if (block === IMAGE) {
      need(bytes, at + 1 + IMAGE_DESCRIPTOR_BYTES, 'image descriptor');
      const frameWidth = u16le(bytes, at + 5, 'frame width');
      const frameHeight = u16le(bytes, at + 7, 'frame height');
      pixels += frameWidth * frameHeight;
      framePixels(pixels);
      width = Math.max(width, u16le(bytes, at + 1, 'frame left') + frameWidth);
      height = Math.max(height, u16le(bytes, at + 3, 'frame top') + frameHeight);
      at += 1 + IMAGE_DESCRIPTOR_BYTES + colourTableBytes(bytes[at + IMAGE_DESCRIPTOR_BYTES]);
      const codeSize = u8(bytes, at, 'LZW minimum code size');
      if (codeSize < LZW_MIN_CODE_SIZE_RANGE[0] || codeSize > LZW_MIN_CODE_SIZE_RANGE[1]) bad(`LZW minimum code size ${codeSize}`);
      at = skipSubBlocks(bytes, at + 1, 'image data');
      frameCount(++frames);
    } else {
      bad(`unknown block 0x${block.toString(16)} at byte ${at}`);
    }
  }
}
