// The TEXT frame of one outgoing text, encoded once for all the peers that acknowledged the same
// texts before it (same `base`): they get the same frame object, so the relay sends it once naming
// them all (relayWriter.ts) instead of once per peer. A text to 49 relayed peers was 49 messages
// through the server, each sealed on its own.

import { encodeFrame, FrameType } from '../../shared/frames';
import type { OutgoingText } from './outbox';

/** Distinct `base` values encoded per text; peers far behind get their own frame beyond it. */
const BASES_CACHED_MAX = 4;

const encoded = new WeakMap<OutgoingText, Map<number, Uint8Array>>();

export function textFrame(m: OutgoingText, base: number): Uint8Array {
  let byBase = encoded.get(m);
  const cached = byBase?.get(base);
  if (cached) return cached;
  const body = { sentAt: m.sentAt, text: m.text, base, sig: m.sig, ...(m.earlier && { earlier: m.earlier }) };
  const frame = encodeFrame(FrameType.TEXT, m.id, m.seq, body);
  if (!byBase) encoded.set(m, (byBase = new Map()));
  if (byBase.size < BASES_CACHED_MAX) byBase.set(base, frame);
  return frame;
}
