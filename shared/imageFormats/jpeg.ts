// JPEG structure (ITU T.81): SOI, marker segments walked by their lengths, one frame header (SOFn)
// for the dimensions, entropy-coded scans skipped to their next marker, EOI, and nothing after it
// but a little zero/0xFF padding.

import { bad, need, u16be, u8 } from './bytes';
import type { ImageSize } from './types';

const SOI = 0xd8;
const EOI = 0xd9;
const SOS = 0xda;
const DNL = 0xdc;
/** SOF0-SOF15 except DHT (C4), JPG (C8) and DAC (CC). */
const isFrameHeader = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
/** Markers with no length: TEM and RST0-7. */
const isStandalone = (m: number) => m === 0x01 || (m >= 0xd0 && m <= 0xd7);
/**
 * Bytes of 0x00/0xFF accepted after EOI. Some encoders pad the file to a block size; anything
 * else after EOI is a second file glued on (a motion photo's video, a zip, HTML) and is refused.
 */
const TRAILING_PADDING_MAX_BYTES = 64;

/** Offset of the marker that ends the entropy-coded data starting at `at` (0xFF00 and RSTn belong to the data). */
function endOfScan(bytes: Uint8Array, at: number): number {
  // indexOf is native: a 5 MiB scan is skipped in about a millisecond. Each step moves forward.
  for (let i = bytes.indexOf(0xff, at); i !== -1 && i + 1 < bytes.length; i = bytes.indexOf(0xff, i + 1)) {
    const next = bytes[i + 1];
    if (next !== 0x00 && next !== 0xff && !(next >= 0xd0 && next <= 0xd7)) return i;
  }
  return bad('truncated: scan data without a following marker');
}

function checkTrailer(bytes: Uint8Array, end: number): void {
  const extra = bytes.length - end;
  if (extra > TRAILING_PADDING_MAX_BYTES) bad(`${extra} bytes after EOI (a second file appended?)`);
  for (let i = end; i < bytes.length; i++) if (bytes[i] !== 0x00 && bytes[i] !== 0xff) bad('data after EOI (a second file appended?)');
}

export function checkJpeg(bytes: Uint8Array): ImageSize {
  if (u8(bytes, 0, 'SOI') !== 0xff || u8(bytes, 1, 'SOI') !== SOI) bad('no SOI marker');
  let size: ImageSize | null = null;
  let scans = 0;
  // Each step moves at least 2 bytes forward: the walk is bounded by the file size.
  for (let at = 2; ; ) {
    if (u8(bytes, at, 'marker') !== 0xff) bad(`no marker at byte ${at}`);
    let marker = u8(bytes, at + 1, 'marker');
    while (marker === 0xff) marker = u8(bytes, ++at + 1, 'marker'); // fill bytes before a marker
    at += 2;
    if (marker === EOI) {
      if (!size || scans === 0) bad(size ? 'EOI before any scan' : 'EOI before the frame header');
      checkTrailer(bytes, at);
      return size;
    }
    if (marker === SOI || marker === 0x00) bad(`unexpected marker 0x${marker.toString(16)} at byte ${at - 2}`);
    if (isStandalone(marker)) continue;
    const length = u16be(bytes, at, 'segment length');
    if (length < 2) bad(`segment length ${length}`);
    const segmentEnd = at + length;
    if (segmentEnd > bytes.length) need(bytes, segmentEnd, `segment 0x${marker.toString(16)}`); // message built only on failure
    if (isFrameHeader(marker)) {
      if (size) bad('second frame header');
      if (length < 8) bad('short frame header');
      const height = u16be(bytes, at + 3, 'frame height');
      const width = u16be(bytes, at + 5, 'frame width');
      const components = u8(bytes, at + 7, 'frame components');
      // Height 0 means "given later by DNL", which browsers do not support.
      if (width === 0 || height === 0) bad(`invalid dimensions ${width}x${height}`);
      if (components === 0 || length !== 8 + 3 * components) bad('invalid frame header');
      size = { width, height };
    } else if (marker === DNL) {
      bad('DNL (height defined after the first scan) is not supported');
    }
    at = segmentEnd;
    if (marker === SOS) {
      if (!size) bad('scan before the frame header');
      scans++;
      at = endOfScan(bytes, at);
    }
  }
}
