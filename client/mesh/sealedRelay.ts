// The relay codec that seals (relayCodec.ts, shared/e2e/sealed.ts): every payload through the
// server is encrypted for its receivers with keys only the two devices of each pair can derive,
// under a counter per direction that must grow, so the server can read nothing, and can alter,
// replay, reorder or reroute nothing without the receiver refusing it.
//
// Keys and counters belong to a pair of sessions (a session key is made per Mesh), and are kept
// for the life of the Mesh even after a peer leaves (bounded, SEALED_SESSIONS_MAX): a peer that comes
// back with the same session continues its counters, so nothing it sent before can be replayed.

import { ChatError } from '../../shared/errors';
import { decodeBase64url } from '../../shared/base64url';
import type { DeviceKeyPair, DeviceVerifier } from '../../shared/deviceKey';
import { derivePairKeys, nobleX25519, ownKeys, openSealed, sealedSender, sealOverhead, verifiedSessionKey, writeSealed, type Aead, type OwnKeys, type PairKeys, type SessionKeyPair, type X25519 } from '../../shared/e2e/index';
import { SEALED_SESSIONS_MAX } from '../../shared/limits';
import type { PeerId, PeerInfo } from '../../shared/protocol';
import { plainPayload, type RelayCodec, type SealedPayload } from './relayCodec';
import type { OutFrame } from '../../shared/frames';

interface SessionState {
  keys: PairKeys;
  sessionKey: Uint8Array;
  /** Last counter sealed for this peer session, and last one opened from it. */
  sent: number;
  received: number;
}

export interface SealedRelayOptions {
  aead: Aead;
  /** Key agreement; omitted: the pure-JS one. */
  x25519?: X25519;
  device: DeviceKeyPair;
  session: SessionKeyPair;
  selfId(): PeerId;
  /** The peer as presence names it now (device key, session key and proof). */
  peer(peerId: PeerId): PeerInfo | undefined;
  verify?: DeviceVerifier;
  /** Told once per peer session that nothing can be sealed for it or opened from it (no session key its device signed). */
  unusable?(peerId: PeerId, problem: ChatError): void;
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.byteLength === b.byteLength && a.every((x, i) => x === b[i]);

export class SealedRelayCodec implements RelayCodec {
  /** By the peer's device key and session key (a Map keeps insertion order: the oldest goes first). */
  private readonly sessions = new Map<string, SessionState>();
  /** Peer sessions already reported unusable (by device and session key), so each is reported once. */
  private readonly reported = new Set<string>();
  private readonly ownSession: Uint8Array;
  private readonly own: OwnKeys;

  constructor(private readonly options: SealedRelayOptions) {
    this.ownSession = decodeBase64url(options.session.publicKey)!;
    this.own = ownKeys(options.device, options.session);
  }

  /** The pair keys for `peerId`'s current session; throws ChatError BAD_KEY when it has no session key its device signed. */
  private state(peerId: PeerId): SessionState {
    const info = this.options.peer(peerId);
    if (!info) throw new ChatError('UNKNOWN_PEER', 'not a peer of the room');
    const { deviceKey, sessionKey, sessionProof } = info;
    if (!sessionKey || !sessionProof) throw this.unusable(peerId, `${deviceKey}.-`, new ChatError('BAD_KEY', `${info.username} announced no session key`));
    const id = `${deviceKey}.${sessionKey}`;
    let state = this.sessions.get(id);
    if (state) return state;
    const verified = verifiedSessionKey(deviceKey, sessionKey, sessionProof, this.options.verify);
    if (!verified) throw this.unusable(peerId, id, new ChatError('BAD_KEY', `the session key of ${info.username} is not signed by their device key`));
    state = { keys: derivePairKeys(this.own, deviceKey, verified, sessionKey, this.options.x25519 ?? nobleX25519), sessionKey: verified, sent: 0, received: 0 };
    if (this.sessions.size >= SEALED_SESSIONS_MAX) this.sessions.delete(this.sessions.keys().next().value!);
    this.sessions.set(id, state);
    return state;
  }

  private unusable(peerId: PeerId, id: string, problem: ChatError): ChatError {
    if (!this.reported.has(id) && this.reported.size < SEALED_SESSIONS_MAX) {
      this.reported.add(id);
      this.options.unusable?.(peerId, problem);
    }
    return problem;
  }

  /** Why frames cannot be sealed for `peerId`, or null when they can (the keys are computed once, on the first call). */
  problem(peerId: PeerId): ChatError | null {
    try {
      this.state(peerId);
      return null;
    } catch (err) {
      return err instanceof ChatError ? err : new ChatError('BAD_KEY', String(err));
    }
  }

  seal(to: readonly PeerId[], frames: readonly OutFrame[]): SealedPayload {
    const content = plainPayload(frames);
    const targets = to.map((peerId) => {
      const state = this.state(peerId);
      return { peerId, key: state.keys.send, counter: ++state.sent };
    });
    return {
      byteLength: sealOverhead(targets.length) + content.byteLength,
      write: (out) => writeSealed(out, this.options.aead, this.ownSession, targets, content.byteLength, content.write),
    };
  }

  open(from: PeerId, payload: Uint8Array): Uint8Array {
    const state = this.state(from);
    if (!sameBytes(sealedSender(payload), state.sessionKey)) throw new ChatError('SEALED_MISROUTED', 'sealed by another session than this peer has');
    const { content, counter } = openSealed(payload, this.options.aead, this.options.selfId(), state.keys.receive, state.received);
    state.received = counter;
    return content;
  }
}
