// The codec slot on the relay path (DESIGN-NOTES item 4): what a relayed message's payload is made
// of, between the RelayWriter's frames and the server's envelope. The RelayWriter still merges one
// frame bound for several peers into one envelope; the codec turns those frames into the one
// payload every receiver of that envelope gets, and opens what arrives.

import { bundleSize, writeBundle, writeFrame, type OutFrame } from '../../shared/frames';
import type { PeerId } from '../../shared/protocol';

/** A payload of known size, written in place into the envelope (no intermediate copy). */
export interface SealedPayload {
  byteLength: number;
  write(out: Uint8Array): void;
}

export interface RelayCodec {
  /** The payload carrying `frames` (one frame, or several as a BUNDLE) to every peer of `to`. */
  seal(to: readonly PeerId[], frames: readonly OutFrame[]): SealedPayload;
  /** The frame (or bundle) inside a payload relayed by `from`; throws ChatError when it cannot be trusted. */
  open(from: PeerId, payload: Uint8Array): Uint8Array;
  /** Why nothing can be sealed for `peerId` now (no verified key), or null when it can. */
  problem(peerId: PeerId): Error | null;
}

/** The frames as they are: one frame, or a BUNDLE of several. */
export function plainPayload(frames: readonly OutFrame[]): SealedPayload {
  if (frames.length === 1) return { byteLength: frames[0].byteLength, write: (out) => writeFrame(out, 0, frames[0]) };
  return { byteLength: bundleSize(frames), write: (out) => writeBundle(out, frames) };
}

/** No encryption: the payload is the frames. */
export const plainRelayCodec: RelayCodec = {
  seal: (_to, frames) => plainPayload(frames),
  open: (_from, payload) => payload,
  problem: () => null,
};
