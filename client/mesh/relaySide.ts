// The relay as the pairs see it: every relayed frame goes through the one signaling socket, sealed
// by the codec, a turn at a time (RelayWriter), within the server's per-socket rate (TokenBucket)
// and while the socket drains; what arrives is opened by the same codec.

import { ChatError } from '../../shared/errors';
import { CHANNEL_PAUSE_ABOVE_BYTES } from '../../shared/limits';
import type { PeerId } from '../../shared/protocol';
import type { MeshError } from './api';
import type { RelayCodec, SealedPayload } from './relayCodec';
import { RelayWriter } from './relayWriter';
import type { Transport } from './sendQueue';
import { TokenBucket } from './tokenBucket';

/** The part of the signaling client the relay uses. */
export interface RelaySignaling {
  readonly online: boolean;
  readonly bufferedAmount: number;
  sendRelay(to: readonly PeerId[], payload: SealedPayload): boolean;
}

export interface RelaySideOptions {
  signaling: RelaySignaling;
  codec: RelayCodec;
  error(e: MeshError): void;
  /** A turn's frames went out: the pairs may queue more. */
  flushed(): void;
}

export class RelaySide {
  /** Shared by every relayed pair: the server's rate limit is per socket. */
  private readonly budget = new TokenBucket();
  private readonly writer: RelayWriter;

  constructor(private readonly options: RelaySideOptions) {
    const { signaling, codec } = options;
    this.writer = new RelayWriter(
      {
        get online() {
          return signaling.online;
        },
        sendRelay: (to, frames) => {
          let payload;
          try {
            payload = codec.seal(to, frames);
          } catch (err) {
            // A key that verified a moment ago (writable() checks) no longer does: the frames are lost, the outbox re-sends.
            options.error({ code: err instanceof ChatError ? err.code : 'INTERNAL', message: `could not encrypt for the relay: ${(err as Error).message}` });
            return true;
          }
          return signaling.sendRelay(to, payload);
        },
      },
      {
        sending: (envelopes) => {
          for (let i = 0; i < envelopes; i++) this.budget.take();
        },
        flushed: () => options.flushed(),
      },
    );
  }

  /** The relay path to `peerId`; `paused`: the server asked us to hold frames for that peer (relay-flow). */
  transport(peerId: PeerId, paused: () => boolean): Transport {
    const { signaling, codec } = this.options;
    return {
      writable: () =>
        signaling.online &&
        !paused() &&
        signaling.bufferedAmount < CHANNEL_PAUSE_ABOVE_BYTES &&
        this.budget.available() &&
        this.writer.accepts(peerId) &&
        codec.problem(peerId) === null,
      write: (frame) => this.writer.write(peerId, frame),
    };
  }
}
