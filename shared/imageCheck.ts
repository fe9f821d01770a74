// Structural check of a complete image before anything decodes or displays it, on send and on
// receive: the type from the magic bytes, then the whole file walked as that format (truncated
// files, glued-on second files and broken headers are refused), then the decoded size capped;
// the walkers of the animated formats (GIF, WebP) also cap their frames and the frames' summed
// area as they count them.
// A walk over chunk/segment headers, never a decode; dependency-free, same code in the browser.

import { ChatError } from './errors';
import { IMAGE_MAX_PIXELS, IMAGE_MAX_SIDE_PX, type ImageMime } from './limits';
import { sniffImage } from './imageSniff';
import { checkPng } from './imageFormats/png';
import { checkJpeg } from './imageFormats/jpeg';
import { checkGif } from './imageFormats/gif';
import { checkWebp } from './imageFormats/webp';
import type { ImageSize } from './imageFormats/types';

export interface ImageInfo extends ImageSize {
  mime: ImageMime;
}

const CHECKERS: Record<ImageMime, (bytes: Uint8Array) => ImageSize> = {
  'image/png': checkPng,
  'image/jpeg': checkJpeg,
  'image/gif': checkGif,
  'image/webp': checkWebp,
};

/**
 * The type and dimensions of `bytes`, a complete image file. Throws ChatError BAD_IMAGE (not a
 * well-formed png, jpeg, gif or webp, or anything after its end), IMAGE_TOO_MANY_PIXELS (over
 * IMAGE_MAX_SIDE_PX or IMAGE_MAX_PIXELS, or frames of over IMAGE_MAX_TOTAL_FRAME_PIXELS in all)
 * or IMAGE_TOO_MANY_FRAMES (a GIF or WebP animation of over IMAGE_MAX_FRAMES frames); never
 * anything else.
 */
export function checkImage(bytes: Uint8Array): ImageInfo {
  const mime = sniffImage(bytes);
  if (!mime) throw new ChatError('BAD_IMAGE', 'not a png, jpeg, gif or webp image');
  let size: ImageSize;
  try {
    size = CHECKERS[mime](bytes);
  } catch (err) {
    if (err instanceof ChatError) throw err;
    throw new ChatError('BAD_IMAGE', `unreadable ${mime}`); // a checker bug must not let the image through
  }
  const { width, height } = size;
  if (width > IMAGE_MAX_SIDE_PX || height > IMAGE_MAX_SIDE_PX || width * height > IMAGE_MAX_PIXELS) {
    throw new ChatError('IMAGE_TOO_MANY_PIXELS', `${width}x${height} pixels: over ${IMAGE_MAX_SIDE_PX} a side or ${IMAGE_MAX_PIXELS} in all`);
  }
  return { mime, width, height };
}
