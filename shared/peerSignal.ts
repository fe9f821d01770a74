// What one peer tells another through the server's `signal` message about their direct link. The
// server passes `data` on unchanged (protocol.ts SignalData); the receiving peer validates it here.
//
//  - `ask`: the initiator, holding a slot of its own, asks the responder for one before it makes a
//    connection (an RTCPeerConnection and its ICE gathering cost several ms of CPU each: in a room of
//    50 most offers met a full responder and were made for nothing);
//  - `grant`: the responder set a slot aside for that attempt's offer (for one connect timeout);
//  - `offer`-side traffic of one attempt: simple-peer's SDP and candidates, `{attempt, signal}`; an
//    offer or answer also carries `dtls`, its sender's device-key signature over the SDP's DTLS
//    fingerprints (shared/e2e/dtlsBinding.ts), checked before the SDP is used;
//  - `decline`: the responder has no free direct-link slot (DIRECT_LINKS_MAX) for that attempt; the
//    initiator stays on the relay and does not offer again until told `free`;
//  - `free`: a slot was set aside for the sender's next offer (sent only to a peer declined before).

/** Attempt ids are 16 hex chars; anything up to 64 chars of [A-Za-z0-9_-] is accepted. */
const ATTEMPT_ID = /^[A-Za-z0-9_-]{1,64}$/;

export type PeerSignal =
  | { kind: 'ask'; attempt: string }
  | { kind: 'grant'; attempt: string }
  | { kind: 'webrtc'; attempt: string; signal: Record<string, unknown>; dtls?: string }
  | { kind: 'decline'; attempt: string }
  | { kind: 'free' };

export function encodePeerSignal(s: PeerSignal): Record<string, unknown> {
  switch (s.kind) {
    case 'ask':
      return { attempt: s.attempt, ask: true };
    case 'grant':
      return { attempt: s.attempt, grant: true };
    case 'webrtc':
      return s.dtls === undefined ? { attempt: s.attempt, signal: s.signal } : { attempt: s.attempt, signal: s.signal, dtls: s.dtls };
    case 'decline':
      return { attempt: s.attempt, decline: true };
    case 'free':
      return { free: true };
  }
}

/** The signal `data` as one of the kinds above, or null when it is none of them (ignored, never thrown). */
export function parsePeerSignal(data: Record<string, unknown>): PeerSignal | null {
  if (data.free === true) return { kind: 'free' };
  const attempt = data.attempt;
  if (typeof attempt !== 'string' || !ATTEMPT_ID.test(attempt)) return null;
  if (data.decline === true) return { kind: 'decline', attempt };
  if (data.ask === true) return { kind: 'ask', attempt };
  if (data.grant === true) return { kind: 'grant', attempt };
  const signal = data.signal;
  if (typeof signal !== 'object' || signal === null || Array.isArray(signal)) return null;
  const dtls = typeof data.dtls === 'string' ? { dtls: data.dtls } : {};
  return { kind: 'webrtc', attempt, signal: signal as Record<string, unknown>, ...dtls };
}

/** True when `signal` (simple-peer's data) is an SDP offer: the only thing that opens an attempt on a responder. */
export function isOffer(signal: Record<string, unknown>): boolean {
  return signal.type === 'offer';
}
