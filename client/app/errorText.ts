// Turns any error (ChatError from the API or the mesh, or anything else) into a sentence in the
// UI language.

import { ChatError } from '../../shared/errors';
import type { MessageKey, Params, Translate } from '../i18n';

const TRANSLATED = new Set<string>([
  'USERNAME_TAKEN',
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
  'BAD_IMAGE',
  'IMAGE_TOO_LARGE',
  'TEXT_TOO_LONG',
  'HASH_MISMATCH',
  'TRANSFER_ABORTED',
  'RELAY_DISABLED',
  'PEER_LEFT',
  'RELAY_BACKED_UP',
]);

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${+(bytes / (1024 * 1024)).toFixed(1)} MB`;
  if (bytes >= 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${bytes} B`;
}

export function errorText(t: Translate, error: unknown, params: Params = {}): string {
  if (error instanceof ChatError || (typeof error === 'object' && error !== null && 'code' in error)) {
    const { code, message, retryAfterSeconds } = error as ChatError;
    if (code === 'LOGIN_THROTTLED') return t('err.LOGIN_THROTTLED', { seconds: retryAfterSeconds ?? 60 });
    if (TRANSLATED.has(code)) return t(`err.${code}` as MessageKey, { message, ...params });
    return t('err.generic', { message: String(message ?? code) });
  }
  return t('err.generic', { message: error instanceof Error ? error.message : String(error) });
}
