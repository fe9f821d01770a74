// Everything about one remote peer on the sending side: delivery (the send queue, the outbox of
// unacknowledged messages, image windows, re-sends) over whatever path the PathController says
// carries traffic now (relay first, then direct: see pathController.ts).
//
// Each side picks its own sending path; frames are accepted from any live path, and correctness
// comes from message ids, per-sender text sequence numbers and acks. A side that gives up on a
// direct link says so over the relay (PATH frame) so the other side drops it at once.

import { CHUNK_BYTES } from '../../shared/limits';
import { encodeFrame, FrameType, newMessageId } from '../../shared/frames';
import { encodePeerSignal, parsePeerSignal, type PeerSignal } from '../../shared/peerSignal';
import type { DeviceKeyPair } from '../../shared/deviceKey';
import { sdpSignedBy, signSdp } from '../../shared/e2e/index';
import type { PeerId, PeerInfo, RelayMode, IceServerConfig } from '../../shared/protocol';
import type { ErrorCode } from '../../shared/errors';
import type { LinkState, TransferProgress } from './api';
import { DirectAttempt } from './directAttempt';
import { textFrame } from './textFrames';
import { ImageWindow } from './imageWindow';
import type { LinkBudget } from './linkBudget';
import { Outbox, type OutgoingImage, type OutgoingMessage } from './outbox';
import { PathController, type DirectPhase } from './pathController';
import { SendQueue, type FrameSource, type Transport } from './sendQueue';
import type { MeshTimeouts } from './timeouts';

export interface PairContext {
  readonly selfId: PeerId;
  /** This device's key: signs the DTLS fingerprints of the SDP we send, so the peer can tell no one swapped it. */
  readonly device: DeviceKeyPair;
  readonly wrtc?: unknown;
  readonly timeouts: MeshTimeouts;
  relayMode(): RelayMode;
  iceServers(): IceServerConfig[];
  /** The mesh's direct-link budget, or null when direct links are not budgeted (relay off). */
  budget(): LinkBudget | null;
  /** The mesh's pacing of direct attempts, or null when they are not paced (relay off). */
  pacer(): LinkBudget | null;
  signalingOnline(): boolean;
  /** When a peer last joined the room (ms since the epoch). */
  lastJoinAt(): number;
  sendSignal(to: PeerId, data: Record<string, unknown>): boolean;
  filterSignal?: (to: PeerId, data: Record<string, unknown>) => Record<string, unknown> | null;
  relayTransport(peerId: PeerId): Transport;
  stateChanged(): void;
  /** A frame that arrived over the direct link (relayed frames come in through the mesh). */
  frame(from: PeerId, bytes: Uint8Array): void;
  progress(p: TransferProgress): void;
  error(e: { code: ErrorCode; message: string; peerId?: PeerId; messageId?: string }): void;
}

export class Pair {
  readonly initiator: boolean;
  readonly queue = new SendQueue();
  readonly outbox = new Outbox();
  private readonly path: PathController;
  private readonly relay: Transport;
  private retransmitTimer: ReturnType<typeof setInterval> | null = null;
  private lastAckAt = Date.now();
  private destroyed = false;
  /** The image sources being sent, by message id: CHUNK_ACKs open their windows. */
  private readonly windows = new Map<string, ImageWindow>();
  relayPaused = false;

  constructor(public info: PeerInfo, private readonly ctx: PairContext) {
    this.initiator = ctx.selfId < info.peerId;
    this.relay = ctx.relayTransport(info.peerId);
    const peerId = info.peerId;
    this.path = new PathController({
      peerId,
      initiator: this.initiator,
      timeouts: ctx.timeouts,
      get budget() {
        return ctx.budget();
      },
      get pacer() {
        return ctx.pacer();
      },
      relayMode: () => ctx.relayMode(),
      signalingOnline: () => ctx.signalingOnline(),
      lastJoinAt: () => ctx.lastJoinAt(),
      sendSignal: (signal) => ctx.sendSignal(peerId, encodePeerSignal(this.signed(signal))),
      relayTransport: () => this.relay,
      openDirect: (id, events) =>
        new DirectAttempt({
          id,
          initiator: this.initiator,
          wrtc: ctx.wrtc,
          iceServers: ctx.iceServers(),
          timeouts: ctx.timeouts,
          relayCarries: () => ctx.relayMode() !== 'off',
          handlers: {
            ...events,
            signal: (signal) => {
              const filtered = ctx.filterSignal ? ctx.filterSignal(peerId, signal) : signal;
              if (filtered) events.signal(filtered);
            },
            frame: (bytes) => ctx.frame(peerId, bytes),
          },
        }),
      newAttemptId: () => newMessageId().slice(0, 16),
      tellAttemptDead: (attemptId) => this.relay.write(encodeFrame(FrameType.PATH, undefined, 0, { deadAttempt: attemptId })),
      switchTo: (transport, resend) => this.switchTo(transport, resend),
      stateChanged: () => ctx.stateChanged(),
      unreachable: (reason) => ctx.error({ code: 'UNREACHABLE', message: `no direct link to ${this.info.username}: ${reason}`, peerId }),
    });
  }

  /** The path that carries traffic to this peer now (what the online list shows). */
  get state(): LinkState {
    return this.path.state;
  }

  /** The direct side of the pair (tests, benchmarks). */
  get directPhase(): DirectPhase {
    return this.path.phase;
  }

  get peerId(): PeerId {
    return this.info.peerId;
  }

  start(): void {
    this.path.start();
  }

  /** `peerLeft`: report the images it will never get (not when we are the ones leaving). */
  destroy(peerLeft: boolean): void {
    this.destroyed = true;
    this.path.destroy();
    if (this.retransmitTimer) clearInterval(this.retransmitTimer);
    this.retransmitTimer = null;
    this.queue.close();
    this.windows.clear();
    for (const m of peerLeft ? this.outbox.all() : []) {
      if (m.kind === 'image') this.ctx.error({ code: 'PEER_LEFT', message: `${this.info.username} left before the image arrived`, peerId: this.peerId, messageId: m.id });
    }
  }

  // ---- sending ----------------------------------------------------------------------------
  send(message: OutgoingMessage): void {
    if (this.outbox.size === 0) this.lastAckAt = Date.now(); // nothing was awaited until now
    this.add(message);
    this.enqueue(message);
    this.watchAcks();
  }

  onAck(id: string): void {
    this.lastAckAt = Date.now();
    this.windows.delete(id);
    const entry = this.outbox.remove(id);
    this.queue.cancel(id);
    if (entry?.kind === 'image') {
      const { size } = entry.start;
      this.ctx.progress({ messageId: id, peerId: this.peerId, direction: 'send', bytes: size, total: size, bytesPerSecond: 0, done: true });
    }
  }

  onReject(id: string, code: ErrorCode, message: string): void {
    this.lastAckAt = Date.now();
    this.windows.delete(id);
    if (!this.outbox.remove(id)) return;
    this.queue.cancel(id);
    this.ctx.error({ code, message: `${this.info.username} rejected a message: ${message}`, peerId: this.peerId, messageId: id });
  }

  /** `chunks` of image `id` arrived, in order: more may go. */
  onChunkAck(id: string, chunks: number): void {
    const w = this.windows.get(id);
    if (!w) return;
    w.ack(chunks);
    this.queue.pump();
  }

  /** Re-sends every unacknowledged message on the current path (after a switch or lost frames). */
  requeue(): void {
    this.lastAckAt = Date.now();
    this.queue.clearMessages();
    this.windows.clear();
    for (const m of this.outbox.all()) this.enqueue(m);
  }

  /** Frames can vanish without a path switch (a relay under load drops them): re-send what stays unacknowledged. */
  private watchAcks(): void {
    if (this.retransmitTimer || this.destroyed) return;
    const { retransmitMs } = this.ctx.timeouts;
    this.retransmitTimer = setInterval(() => {
      if (this.outbox.size === 0) {
        clearInterval(this.retransmitTimer!);
        this.retransmitTimer = null;
        return;
      }
      const moving = this.state === 'direct' || this.state === 'relay';
      if (moving && this.queue.idle && Date.now() - this.lastAckAt > retransmitMs) this.requeue();
    }, retransmitMs / 2);
  }

  private add(message: OutgoingMessage): void {
    for (const dropped of this.outbox.add(message)) {
      this.queue.cancel(dropped.id);
      this.ctx.error({ code: 'UNREACHABLE', message: `gave up on a message to ${this.info.username} (outbox full)`, peerId: this.peerId, messageId: dropped.id });
    }
  }

  private enqueue(m: OutgoingMessage): void {
    if (m.kind === 'frame') {
      this.queue.pushText(m.id, m.frame);
    } else if (m.kind === 'text') {
      this.queue.pushText(m.id, textFrame(m, this.outbox.base(m.seq)));
    } else {
      this.queue.pushBulk(this.imageSource(m));
    }
  }

  private imageSource(m: OutgoingImage): FrameSource {
    let index = -1;
    let startedAt = 0;
    const { size, chunks } = m.start;
    // A re-send starts a new window: acks of the earlier copy are clamped to what this one sent.
    let waitingForDigest = false;
    const window = new ImageWindow(() => Math.min(Math.max(index, 0), chunks));
    this.windows.set(m.id, window);
    return {
      id: m.id,
      blocked: (t) => {
        if (index === chunks && !m.seal.ready) {
          // IMAGE_END carries the digest: wait for the native hash (a few ms, started with the send).
          if (!waitingForDigest) {
            waitingForDigest = true;
            void m.seal.complete().then(() => this.queue.pump());
          }
          return true;
        }
        return t.windowBytes !== undefined && window.full(t.windowBytes);
      },
      next: () => {
        if (index === -1) {
          index = 0;
          startedAt = Date.now();
          return m.frames.first();
        }
        if (index > chunks) return null;
        if (index === chunks) {
          index++;
          return m.frames.last(m.seal.end());
        }
        const to = Math.min((index + 1) * CHUNK_BYTES, size);
        const frame = m.frames.chunk(index);
        index++;
        m.seal.sending(index);
        const seconds = Math.max((Date.now() - startedAt) / 1000, 0.001);
        this.ctx.progress({ messageId: m.id, peerId: this.peerId, direction: 'send', bytes: to, total: size, bytesPerSecond: to / seconds, done: false });
        return frame;
      },
    };
  }

  // ---- paths ------------------------------------------------------------------------------
  /** A signal from the other side (shared/peerSignal.ts); anything else is ignored. */
  onSignal(data: Record<string, unknown>): void {
    const signal = parsePeerSignal(data);
    if (!signal || this.destroyed) return;
    const problem = this.unsignedSdp(signal);
    if (problem) {
      this.ctx.error({ code: 'DIRECT_LINK_UNVERIFIED', message: `direct link to ${this.info.username} refused: ${problem}; staying on the relay, still encrypted`, peerId: this.peerId });
      return this.path.refuse((signal as { attempt: string }).attempt, problem);
    }
    this.path.onSignal(signal);
  }

  /** An offer or answer we send, with our device key's signature over its DTLS fingerprints. */
  private signed(signal: PeerSignal): PeerSignal {
    if (signal.kind !== 'webrtc' || typeof signal.signal.sdp !== 'string') return signal;
    const dtls = signSdp(this.ctx.device, signal.attempt, String(signal.signal.type), signal.signal.sdp, this.info.deviceKey);
    return dtls ? { ...signal, dtls } : signal;
  }

  /** Why an offer or answer from the peer cannot be trusted, or null (other signals carry no SDP). */
  private unsignedSdp(signal: PeerSignal): string | null {
    if (signal.kind !== 'webrtc' || signal.signal.sdp === undefined) return null;
    const { sdp, type } = signal.signal;
    if (typeof sdp !== 'string') return 'its SDP is not text';
    if (sdpSignedBy(this.info.deviceKey, this.ctx.device.publicKey, signal.attempt, String(type), sdp, signal.dtls)) return null;
    return `the DTLS fingerprint of its ${String(type).slice(0, 20)} is not signed by ${this.info.username}'s device key (someone may be in the middle)`;
  }

  /** The other side declared a direct attempt dead. */
  onPathDead(attemptId: string): void {
    this.path.onAttemptDead(attemptId);
  }

  /** The signaling socket is back: relayed frames may have been lost, pending signals surely were. */
  onSignalingResumed(): void {
    this.path.onSignalingResumed();
  }

  /** Test seam: the direct link goes silent (see DirectAttempt.cutSilently). */
  cutDirect(): void {
    this.path.cutDirect();
  }

  onRelayFlow(paused: boolean): void {
    this.relayPaused = paused;
    if (!paused) this.queue.pump();
  }

  private switchTo(transport: Transport | null, resend: boolean): void {
    if (this.destroyed) return;
    if (resend) this.queue.clearMessages();
    this.queue.setTransport(transport);
    if (resend && transport) this.requeue();
  }
}
