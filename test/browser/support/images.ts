// Small valid image files generated in the test (no fixtures on disk).

import { deflateSync, crc32 } from 'node:zlib';
import { randomBytes } from 'node:crypto';

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([length, body, crc]);
}

/** An RGB PNG; `random` fills it with noise and stores it uncompressed (for a file of a known size). */
export function makePng(width: number, height: number, options: { random?: boolean } = {}): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 2; // colour type RGB
  const rowBytes = width * 3 + 1;
  const raw = options.random ? randomBytes(rowBytes * height) : Buffer.alloc(rowBytes * height);
  for (let y = 0; y < height; y++) {
    raw[y * rowBytes] = 0; // filter: none
    if (!options.random) for (let x = 0; x < width; x++) raw.fill(x * 8, y * rowBytes + 1 + x * 3, y * rowBytes + 4 + x * 3);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw, { level: options.random ? 0 : 6 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A noise PNG just under `maxBytes` (1024 px wide, stored uncompressed). */
export function makePngNear(maxBytes: number): Buffer {
  const width = 1024;
  const height = Math.floor((maxBytes - 4096) / (width * 3 + 1));
  return makePng(width, height, { random: true });
}

/** The classic 1x1 GIF89a (a valid, decodable image). */
export function makeGif(): Buffer {
  return Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');
}
