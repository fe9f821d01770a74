// Everything about one remote peer on the sending side and the path to it: the per-pair state
// machine (connecting -> direct | relay | unreachable), the direct attempts and their background
// retries, the send queue and the outbox of unacknowledged messages.
//
// Exactly one side initiates WebRTC (the smaller peer id), so there is no glare. Each side picks
// its own sending path; frames are accepted from any live path, and correctness comes from
// message ids, per-sender text sequence numbers and acks. A side that gives up on a direct link
// says so over the relay (PATH frame) so the other side drops it at once instead of waiting.

import { CHUNK_BYTES } from '../../shared/limits';
import { encodeFrame, FrameType, newMessageId } from '../../shared/frames';
import type { PeerId, PeerInfo, RelayMode, IceServerConfig } from '../../shared/protocol';
import type { ErrorCode } from '../../shared/errors';
import type { LinkState, TransferProgress } from './api';
import { DirectAttempt } from './directAttempt';
import { ImageWindow } from './imageWindow';
import { Outbox, type OutgoingImage, type OutgoingMessage, type OutgoingText } from './outbox';
import { SendQueue, type FrameSource, type Transport } from './sendQueue';
import type { MeshTimeouts } from './timeouts';

export interface PairContext {
  readonly selfId: PeerId;
  readonly wrtc?: unknown;
  readonly timeouts: MeshTimeouts;
  relayMode(): RelayMode;
  iceServers(): IceServerConfig[];
  signalingOnline(): boolean;
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
  state: LinkState = 'connecting';
  readonly initiator: boolean;
  readonly queue = new SendQueue();
  readonly outbox = new Outbox();
  private attempt: DirectAttempt | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private waitTimer: ReturnType<typeof setTimeout> | null = null;
  private retryDelay: number;
  private retransmitTimer: ReturnType<typeof setInterval> | null = null;
  private lastAckAt = Date.now();
  private destroyed = false;
  /** The image sources being sent, by message id: CHUNK_ACKs open their windows. */
  private readonly windows = new Map<string, ImageWindow>();
  relayPaused = false;

  constructor(public info: PeerInfo, private readonly ctx: PairContext) {
    this.initiator = ctx.selfId < info.peerId;
    this.retryDelay = ctx.timeouts.retryFirstMs;
  }

  get peerId(): PeerId {
    return this.info.peerId;
  }

  start(): void {
    if (this.ctx.relayMode() === 'force') return this.useFallback();
    this.setState('connecting');
    if (this.initiator) this.startAttempt();
    else this.waitForOffer();
  }

  /** `peerLeft`: report the images it will never get (not when we are the ones leaving). */
  destroy(peerLeft: boolean): void {
    this.destroyed = true;
    this.attempt?.close();
    this.attempt = null;
    this.clearTimers();
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
    if (m.kind === 'text') {
      const body = { sentAt: m.sentAt, text: m.text, base: this.outbox.base(m.seq) };
      this.queue.pushText(m.id, encodeFrame(FrameType.TEXT, m.id, m.seq, body));
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
        if (index === chunks && !m.digest.ready) {
          // IMAGE_END carries the digest: wait for the native hash (a few ms, started with the send).
          if (!waitingForDigest) {
            waitingForDigest = true;
            void m.digest.complete().then(() => this.queue.pump());
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
          return m.frames.last(m.digest.hexDigest());
        }
        const to = Math.min((index + 1) * CHUNK_BYTES, size);
        const frame = m.frames.chunk(index);
        index++;
        m.digest.sending(index);
        const seconds = Math.max((Date.now() - startedAt) / 1000, 0.001);
        this.ctx.progress({ messageId: m.id, peerId: this.peerId, direction: 'send', bytes: to, total: size, bytesPerSecond: to / seconds, done: false });
        return frame;
      },
    };
  }

  // ---- paths ------------------------------------------------------------------------------
  /** A signal from the other side: {attempt, signal}. */
  onSignal(data: Record<string, unknown>): void {
    const id = data.attempt;
    const signal = data.signal;
    if (typeof id !== 'string' || typeof signal !== 'object' || signal === null || this.destroyed) return;
    if (this.ctx.relayMode() === 'force') return;
    if (this.attempt?.id !== id) {
      // Only the initiator opens attempts, each with an offer; a responder follows the newest
      // offer and ignores stray candidates of attempts it no longer has.
      if (this.initiator || (signal as { type?: unknown }).type !== 'offer') return;
      this.attempt?.close();
      this.attempt = this.newAttempt(id);
    }
    this.attempt.signal(signal as Record<string, unknown>);
  }

  /** The other side declared a direct attempt dead. */
  onPathDead(attemptId: string): void {
    if (this.attempt?.id === attemptId) this.attemptFailed(this.attempt, 'peer reported the direct link dead', false);
  }

  /** The signaling socket is back: relayed frames may have been lost, pending signals surely were. */
  onSignalingResumed(): void {
    if (this.state === 'relay') this.requeue();
    if (this.state !== 'direct' && this.initiator && this.ctx.relayMode() !== 'force') {
      this.attempt?.close();
      this.attempt = null;
      if (this.retryTimer) clearTimeout(this.retryTimer);
      this.retryTimer = null;
      this.startAttempt();
    }
  }

  /** Test seam: the direct link goes silent (see DirectAttempt.cutSilently). */
  cutDirect(): void {
    this.attempt?.cutSilently();
  }

  onRelayFlow(paused: boolean): void {
    this.relayPaused = paused;
    if (!paused) this.queue.pump();
  }

  private newAttempt(id: string): DirectAttempt {
    const attempt: DirectAttempt = new DirectAttempt({
      id,
      initiator: this.initiator,
      wrtc: this.ctx.wrtc,
      iceServers: this.ctx.iceServers(),
      timeouts: this.ctx.timeouts,
      handlers: {
        signal: (signal) => {
          const filtered = this.ctx.filterSignal ? this.ctx.filterSignal(this.peerId, signal) : signal;
          if (filtered) this.ctx.sendSignal(this.peerId, { attempt: id, signal: filtered });
        },
        confirmed: () => this.attemptConfirmed(attempt),
        failed: (reason) => this.attemptFailed(attempt, reason, true),
        frame: (bytes) => this.ctx.frame(this.peerId, bytes),
      },
    });
    return attempt;
  }

  private startAttempt(): void {
    if (this.destroyed) return;
    this.attempt = this.newAttempt(newMessageId().slice(0, 16));
  }

  /** Responder: if no offer comes in time, fall back like a failed attempt would. */
  private waitForOffer(): void {
    this.waitTimer = setTimeout(() => {
      this.waitTimer = null;
      if (this.state === 'connecting' && !this.attempt) this.useFallback();
    }, this.ctx.timeouts.directConnectMs);
  }

  private attemptConfirmed(attempt: DirectAttempt): void {
    if (attempt !== this.attempt || this.destroyed) return;
    if (this.waitTimer) clearTimeout(this.waitTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.waitTimer = this.retryTimer = null;
    this.retryDelay = this.ctx.timeouts.retryFirstMs;
    const wasConnecting = this.state === 'connecting' || this.state === 'unreachable';
    // Relay-borne frames still in flight are fine: texts are reordered by sequence number and a
    // started image finishes on the relay (see SendQueue).
    this.queue.setTransport(attempt.transport);
    if (wasConnecting) this.requeue();
    this.setState('direct');
  }

  private attemptFailed(attempt: DirectAttempt, reason: string, tellPeer: boolean): void {
    if (attempt !== this.attempt || this.destroyed) return;
    attempt.close();
    this.attempt = null;
    if (tellPeer && this.ctx.relayMode() !== 'off') {
      this.ctx.relayTransport(this.peerId).write(encodeFrame(FrameType.PATH, undefined, 0, { deadAttempt: attempt.id }));
    }
    if (this.state === 'direct' || this.state === 'connecting') {
      this.ctx.error({ code: 'UNREACHABLE', message: `direct link to ${this.info.username} lost: ${reason}`, peerId: this.peerId });
      this.useFallback();
    } else if (this.initiator) {
      this.scheduleRetry();
    }
  }

  private useFallback(): void {
    if (this.destroyed) return;
    const mode = this.ctx.relayMode();
    if (mode === 'off') {
      this.queue.setTransport(null);
      this.setState('unreachable');
    } else {
      this.queue.clearMessages();
      this.queue.setTransport(this.ctx.relayTransport(this.peerId));
      this.requeue();
      this.setState('relay');
    }
    if (mode !== 'force' && this.initiator) this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.retryTimer || this.destroyed) return;
    const delay = this.retryDelay;
    this.retryDelay = Math.min(this.retryDelay * 2, this.ctx.timeouts.retryMaxMs);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.attempt && this.state !== 'direct' && this.ctx.signalingOnline()) this.startAttempt();
      else if (this.state !== 'direct') this.scheduleRetry();
    }, delay);
  }

  private setState(state: LinkState): void {
    if (this.state === state) return;
    this.state = state;
    this.ctx.stateChanged();
  }

  private clearTimers(): void {
    if (this.retransmitTimer) clearInterval(this.retransmitTimer);
    this.retransmitTimer = null;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    if (this.waitTimer) clearTimeout(this.waitTimer);
    this.retryTimer = this.waitTimer = null;
  }
}
