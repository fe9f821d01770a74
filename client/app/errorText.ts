// Turns any error (ChatError from the API or the mesh, or anything else) into a sentence in the
// UI language.

import { ChatError } from '../../shared/errors';
import { IMAGE_MAX_FRAMES, IMAGE_MAX_PIXELS, IMAGE_MAX_SIDE_PX, IMAGE_MAX_TOTAL_FRAME_PIXELS } from '../../shared/limits';
import type { MeshError } from '../mesh/api';
import type { MessageKey, Params, Translate } from '../i18n';

const TRANSLATED = new Set<string>([
  'USERNAME_TAKEN',
  'USERNAME_TOO_SIMILAR',
  'TOO_MANY_DEVICES',
  'BAD_CREDENTIALS',
  'LOGIN_THROTTLED',
  'INVALID_USERNAME',
  'INVALID_PASSWORD',
  'INVALID_DISPLAY_NAME',
  'INVALID_BIO',
  'UNAUTHORIZED',
  'UNREACHABLE',
  'RATE_LIMITED',
  'BUSY',
  'STORE_UNAVAILABLE',
  'BAD_IMAGE',
  'IMAGE_TOO_LARGE',
  'IMAGE_TOO_MANY_PIXELS',
  'IMAGE_TOO_MANY_FRAMES',
  'HOST_NOT_ALLOWED',
  'TEXT_TOO_LONG',
  'HASH_MISMATCH',
  'TRANSFER_ABORTED',
  'RELAY_DISABLED',
  'PEER_LEFT',
  'RELAY_BACKED_UP',
  'DIRECT_LINK_UNVERIFIED',
  'SEALED_ALTERED',
]);

/** Codes by which an image is refused for its bytes, on either end (shared/imageCheck.ts). */
export const IMAGE_REFUSAL_CODES = new Set<string>(['BAD_IMAGE', 'IMAGE_TOO_LARGE', 'IMAGE_TOO_MANY_PIXELS', 'IMAGE_TOO_MANY_FRAMES']);

/** Limits every image message may name. */
const IMAGE_LIMIT_PARAMS: Params = { maxSide: IMAGE_MAX_SIDE_PX, megapixels: IMAGE_MAX_PIXELS / 1_000_000, maxFrames: IMAGE_MAX_FRAMES, animationMegapixels: IMAGE_MAX_TOTAL_FRAME_PIXELS / 1_000_000 };

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${+(bytes / (1024 * 1024)).toFixed(1)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} B`;
}

export function errorText(t: Translate, error: unknown, params: Params = {}): string {
  if (error instanceof ChatError || (typeof error === 'object' && error !== null && 'code' in error)) {
    const { code, message, retryAfterSeconds } = error as ChatError;
    if (code === 'LOGIN_THROTTLED') return t('err.LOGIN_THROTTLED', { seconds: retryAfterSeconds ?? 60 });
    // A wait of minutes (the registration cap) is worth saying; a flood's brief pause is not.
    if (code === 'RATE_LIMITED' && retryAfterSeconds !== undefined && retryAfterSeconds > 60) return t('err.RATE_LIMITED_WAIT', { minutes: Math.ceil(retryAfterSeconds / 60) });
    if (TRANSLATED.has(code)) return t(`err.${code}` as MessageKey, { message, ...IMAGE_LIMIT_PARAMS, ...params });
    return t('err.generic', { message: String(message ?? code) });
  }
  return t('err.generic', { message: error instanceof Error ? error.message : String(error) });
}

/** An image refused for its bytes: one from `user` refused here (`incoming`), or ours refused by `user`. */
export function imageRefusalText(t: Translate, error: MeshError, user: string, params: Params = {}): string {
  const reason = t(`imageRefusal.${error.code}` as MessageKey, { ...IMAGE_LIMIT_PARAMS, ...params });
  return t(error.incoming ? 'err.imageRefused' : 'err.imageRefusedByPeer', { user, reason });
}
