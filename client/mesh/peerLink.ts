// One WebRTC connection to one peer, behind an interface of our own so the rest of the mesh never
// depends on simple-peer (unmaintained since 2022) and it could be replaced. Two data channels:
// simple-peer's own (images and everything else) and an "urgent" lane of the same connection for
// control frames and texts, so a text never queues behind megabytes of image chunks in one
// channel's buffer (issue 14: a text during an image waited p95 1.7-4.8 s on one channel, 164-185 ms
// on a second one, raw channels measured in Chromium). The lane is negotiated out of band (both
// sides create it with the same id), so it costs no signaling.
// Backpressure is polled by the caller through `bufferedAmount`: wrtc never fires bufferedamountlow.

import SimplePeer from 'simple-peer';
import type { IceServerConfig } from '../../shared/protocol';

export interface PeerLinkHandlers {
  /** An SDP offer/answer or a trickled candidate to pass to the other side through signaling. */
  signal(data: Record<string, unknown>): void;
  open(): void;
  data(bytes: Uint8Array): void;
  /** The link is gone (closed, failed or destroyed by us); fired at most once. */
  close(reason: string): void;
  /** ICE connection state ('checking', 'connected', 'disconnected', 'failed', ...). */
  iceState(state: string): void;
}

export interface PeerLinkOptions {
  initiator: boolean;
  wrtc?: unknown;
  iceServers: IceServerConfig[];
  handlers: PeerLinkHandlers;
}

export interface PeerLink {
  readonly isOpen: boolean;
  /** Bytes queued in the channel and not yet sent. */
  readonly bufferedAmount: number;
  /** Passes a signal from the other side. */
  signal(data: Record<string, unknown>): void;
  /** Sends one message; returns false (and closes the link) when the channel refused it. */
  send(bytes: Uint8Array): boolean;
  /** True while the urgent lane is open (sendUrgent may be used). */
  readonly urgentOpen: boolean;
  /** Bytes queued in the urgent lane and not yet sent. */
  readonly urgentBufferedAmount: number;
  /** Sends one message on the urgent lane; false when it is not open or refused it (the caller may use `send`). */
  sendUrgent(bytes: Uint8Array): boolean;
  close(): void;
}

type SimplePeerCtor = new (opts: Record<string, unknown>) => SimplePeer.Instance;

/**
 * Stream id of the urgent lane. simple-peer's channel gets an in-band id (0 or 1, then up by 2 per
 * channel), far below; Chromium and wrtc accept ids up to 1023.
 */
const URGENT_CHANNEL_ID = 1023;

interface UrgentChannel {
  readyState: string;
  bufferedAmount: number;
  binaryType: string;
  onmessage: ((e: { data: unknown }) => void) | null;
  send(data: Uint8Array): void;
  close(): void;
}

export function createPeerLink(options: PeerLinkOptions): PeerLink {
  const { handlers } = options;
  const Ctor = SimplePeer as unknown as SimplePeerCtor;
  const peer = new Ctor({
    initiator: options.initiator,
    trickle: true,
    config: { iceServers: options.iceServers },
    ...(options.wrtc ? { wrtc: options.wrtc } : {}),
  });
  let open = false;
  let closed = false;
  const pc = (peer as unknown as { _pc?: { createDataChannel(label: string, init: object): UrgentChannel } })._pc;
  let urgent: UrgentChannel | null = null;
  try {
    urgent = pc?.createDataChannel('urgent', { negotiated: true, id: URGENT_CHANNEL_ID, ordered: true }) ?? null;
  } catch {
    urgent = null; // everything then goes on the one channel, as before
  }
  if (urgent) {
    urgent.binaryType = 'arraybuffer';
    urgent.onmessage = (e) => {
      if (closed) return;
      const data = e.data;
      if (data instanceof ArrayBuffer) handlers.data(new Uint8Array(data));
      else if (data instanceof Uint8Array) handlers.data(data);
    };
  }

  const finish = (reason: string): void => {
    if (closed) return;
    closed = true;
    open = false;
    // simple-peer closes its RTCPeerConnection only in a microtask after destroy(); close it now, so
    // that a link closed here is gone when the caller hands its budget slot on (DIRECT_LINKS_MAX).
    try {
      (peer as unknown as { _pc?: { close(): void } | null })._pc?.close();
    } catch {
      // already closed
    }
    peer.destroy();
    handlers.close(reason);
  };

  peer.on('signal', (data: unknown) => {
    if (!closed) handlers.signal(data as Record<string, unknown>);
  });
  peer.on('connect', () => {
    if (closed) return;
    open = true;
    handlers.open();
  });
  peer.on('data', (data: Uint8Array) => {
    if (closed) return;
    // Node gives a Buffer (a Uint8Array subclass); browsers may give an ArrayBuffer.
    const bytes = data instanceof Uint8Array ? data : new Uint8Array(data as ArrayBuffer);
    handlers.data(bytes);
  });
  peer.on('iceStateChange', (state: string) => {
    if (!closed) handlers.iceState(state);
  });
  peer.on('error', (err: Error & { code?: string }) => finish(err.code ?? err.message));
  peer.on('close', () => finish('closed'));

  return {
    get isOpen() {
      return open && !closed;
    },
    get bufferedAmount() {
      return closed ? 0 : (peer as unknown as { bufferSize: number }).bufferSize;
    },
    signal(data) {
      if (closed) return;
      try {
        peer.signal(data as unknown as SimplePeer.SignalData);
      } catch (err) {
        finish(`bad signal: ${(err as Error).message}`);
      }
    },
    get urgentOpen() {
      return !closed && urgent?.readyState === 'open';
    },
    get urgentBufferedAmount() {
      return closed || !urgent ? 0 : urgent.bufferedAmount;
    },
    sendUrgent(bytes) {
      if (closed || urgent?.readyState !== 'open') return false;
      try {
        urgent.send(bytes);
        return true;
      } catch {
        return false;
      }
    },
    send(bytes) {
      if (!open || closed) return false;
      try {
        peer.send(bytes);
        return true;
      } catch (err) {
        finish(`send failed: ${(err as Error).message}`);
        return false;
      }
    },
    close() {
      finish('closed by us');
    },
  };
}
