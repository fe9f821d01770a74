// One attempt at a direct link to a peer: the data channel plus the timers that notice failures
// wrtc never reports (a connect deadline, an in-channel heartbeat, an ICE-disconnected grace).
// The link counts as up only after a PING over it got its PONG back, i.e. it works both ways.

import { CHANNEL_PAUSE_ABOVE_BYTES, CHANNEL_RESUME_BELOW_BYTES, DIRECT_WINDOW_BYTES } from '../../shared/limits';
import { ANSWERED_FRAME_TYPES, encodeFrame, frameBuffer, FrameType, FRAME_HEADER_BYTES, frameTypeOf, type OutFrame } from '../../shared/frames';
import type { IceServerConfig } from '../../shared/protocol';
import { createPeerLink, type PeerLink } from './peerLink';
import type { Lane, Transport } from './sendQueue';
import type { MeshTimeouts } from './timeouts';

export interface DirectAttemptHandlers {
  signal(data: Record<string, unknown>): void;
  /** The link answered our probe: it may carry traffic. */
  confirmed(): void;
  /** The link is dead or never came up; fired at most once. */
  failed(reason: string): void;
  /** A frame other than PING/PONG arrived over the link. */
  frame(bytes: Uint8Array): void;
  /** The confirmed link went quiet (ICE disconnected, or a whole heartbeat overdue): it may come back. */
  quiet(): void;
  /** The quiet link was heard again. */
  heard(): void;
}

export interface DirectAttemptOptions {
  id: string;
  initiator: boolean;
  wrtc?: unknown;
  iceServers: IceServerConfig[];
  timeouts: MeshTimeouts;
  /** True while the relay may carry (mode not `off`): a quiet link is then kept longer (quietGiveUpMs). */
  relayCarries(): boolean;
  handlers: DirectAttemptHandlers;
}

const PING = encodeFrame(FrameType.PING, undefined, 0);
const PONG = encodeFrame(FrameType.PONG, undefined, 0);

export class DirectAttempt {
  readonly id: string;
  confirmed = false;
  private readonly link: PeerLink;
  private done = false;
  private lastHeard = Date.now();
  private connectTimer: ReturnType<typeof setTimeout> | null;
  private heartbeat: ReturnType<typeof setInterval> | null = null;
  private graceTimer: ReturnType<typeof setTimeout> | null = null;
  private paused = false;
  /** A PING that arrived before simple-peer declared the link open (it can): answered on open. */
  private pongOwed = false;
  /**
   * Only the first PING is answered: its PONG confirms the link to the peer, and after that each
   * side's own PINGs (or any other frame) are the heartbeat the other listens for. Answering every
   * PING doubled the idle traffic of a room of 50 (4 messages a second per link instead of 2).
   */
  private ponged = false;
  /** When this side last wrote a frame (ms since epoch): any frame is a heartbeat. */
  private lastSentAt = 0;
  /** When this side wrote a frame the peer answers while nothing was heard since (0: none waits). */
  private awaitingSince = 0;
  /** Confirmed, then silent: `quiet` was fired and `heard` was not yet. */
  private isQuiet = false;
  /** Test seam: a silently cut link (no event, nothing in or out), as most real failures are. */
  private cut = false;

  constructor(private readonly options: DirectAttemptOptions) {
    this.id = options.id;
    const { handlers, timeouts } = options;
    this.connectTimer = setTimeout(() => this.fail('direct link did not open in time'), timeouts.directConnectMs);
    this.link = createPeerLink({
      initiator: options.initiator,
      wrtc: options.wrtc,
      iceServers: options.iceServers,
      handlers: {
        signal: (data) => handlers.signal(data),
        open: () => this.onOpen(),
        data: (bytes) => this.onData(bytes),
        close: (reason) => this.fail(`direct link closed (${reason})`),
        iceState: (state) => this.onIceState(state),
      },
    });
  }

  signal(data: Record<string, unknown>): void {
    this.link.signal(data);
  }

  /** Sending side of the link, with polled hysteresis backpressure and an image window (see DIRECT_WINDOW_BYTES). */
  readonly transport: Transport = {
    windowBytes: DIRECT_WINDOW_BYTES,
    writable: () => {
      if (this.done) return false;
      // Reading bufferedAmount is a synchronous call into wrtc's network thread (~0.15 ms, as much
      // as a send): while the last reading plus what was written since is clearly below the pause
      // mark, the buffer can only be lower, so skip the call.
      if (!this.paused && this.bufferedBound <= CHANNEL_PAUSE_ABOVE_BYTES) return true;
      const buffered = this.link.bufferedAmount;
      this.bufferedBound = buffered;
      if (this.paused && buffered < CHANNEL_RESUME_BELOW_BYTES) this.paused = false;
      else if (!this.paused && buffered > CHANNEL_PAUSE_ABOVE_BYTES) this.paused = true;
      return !this.paused;
    },
    write: (frame) => {
      if (this.done) return false;
      this.wrote(frame);
      this.bufferedBound += frame.byteLength;
      return this.cut || this.link.send(frameBuffer(frame));
    },
    urgent: () => (this.link.urgentOpen && !this.done ? this.urgentLane : null),
  };
  /** The urgent channel of the same connection: control frames and texts (peerLink.ts). */
  private readonly urgentLane: Lane = {
    writable: () => !this.done && this.link.urgentBufferedAmount <= CHANNEL_PAUSE_ABOVE_BYTES,
    write: (frame) => {
      if (this.done) return false;
      if (this.cut) return true;
      this.wrote(frame);
      // Refused by the lane (closing): the main channel carries it.
      return this.link.sendUrgent(frame) || this.link.send(frame);
    },
  };
  /** An upper bound of the channel's bufferedAmount: the last reading plus bytes written since. */
  private bufferedBound = 0;

  private wrote(frame: OutFrame): void {
    this.lastSentAt = Date.now();
    if (this.awaitingSince === 0 && ANSWERED_FRAME_TYPES.has(frameTypeOf(frame))) this.awaitingSince = this.lastSentAt;
  }

  cutSilently(): void {
    this.cut = true;
  }

  close(): void {
    this.done = true;
    this.clearTimers();
    this.link.close();
  }

  private fail(reason: string): void {
    if (this.done) return;
    this.close();
    this.options.handlers.failed(reason);
  }

  private clearTimers(): void {
    if (this.connectTimer) clearTimeout(this.connectTimer);
    if (this.heartbeat) clearInterval(this.heartbeat);
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.connectTimer = this.heartbeat = this.graceTimer = null;
  }

  private onOpen(): void {
    const { heartbeatMs, heartbeatMisses, quietGiveUpMs, idlePingMs } = this.options.timeouts;
    this.lastHeard = Date.now();
    this.link.send(PING);
    if (this.pongOwed) this.ponged = this.link.send(PONG);
    this.pongOwed = false;
    let lastTick = this.lastHeard;
    this.heartbeat = setInterval(() => {
      const now = Date.now();
      // A late tick means our own event loop was blocked: what arrived meanwhile is still queued
      // behind us, so silence proves nothing yet.
      if (now - lastTick > heartbeatMs * 2) {
        this.lastHeard = Math.max(this.lastHeard, now - heartbeatMs);
        if (this.awaitingSince) this.awaitingSince = Math.max(this.awaitingSince, now - heartbeatMs);
      }
      lastTick = now;
      // With the relay allowed an idle link pings rarely (LINK_IDLE_PING_MS) and is watched by its
      // traffic; with it off the link is all there is, and every beat pings.
      const relayCarries = this.options.relayCarries();
      const pingAfterMs = relayCarries ? Math.max(idlePingMs, heartbeatMs / 2) : heartbeatMs / 2;
      const silentQuietMs = relayCarries ? pingAfterMs + heartbeatMs * 3 : heartbeatMs * 2;
      const giveUpMs = relayCarries ? Math.max(quietGiveUpMs, silentQuietMs + heartbeatMs, heartbeatMs * heartbeatMisses) : heartbeatMs * heartbeatMisses;
      if (now - this.lastHeard > giveUpMs) return this.fail('heartbeat lost');
      // Silent past the peer's pings, or a frame it answers unanswered for 2 beats: let the relay
      // carry meanwhile (the link is given up only later). Not sooner: on a starved CPU answers come
      // late, and each quiet/heard pair of switches re-sends everything unacknowledged.
      const unanswered = this.awaitingSince !== 0 && now - this.awaitingSince > heartbeatMs * 2;
      if (now - this.lastHeard > silentQuietMs || unanswered) this.markQuiet();
      // Anything written since the last ping was due already told the peer this side is alive.
      if (!this.cut && now - this.lastSentAt >= pingAfterMs) {
        this.lastSentAt = now;
        this.link.send(PING);
      }
    }, heartbeatMs);
  }

  private markQuiet(): void {
    if (!this.confirmed || this.isQuiet || this.done) return;
    this.isQuiet = true;
    this.options.handlers.quiet();
  }

  private onData(bytes: Uint8Array): void {
    if (this.cut) return;
    this.lastHeard = Date.now();
    this.awaitingSince = 0;
    if (this.isQuiet) {
      this.isQuiet = false;
      this.options.handlers.heard();
    }
    // PING/PONG are header-only frames; everything else goes up.
    if (bytes.byteLength === FRAME_HEADER_BYTES && bytes[1] === FrameType.PING) {
      if (this.ponged) return;
      if (this.link.send(PONG)) this.ponged = true;
      else this.pongOwed = true;
      return;
    }
    if (bytes.byteLength === FRAME_HEADER_BYTES && bytes[1] === FrameType.PONG) {
      if (!this.confirmed) {
        this.confirmed = true;
        if (this.connectTimer) clearTimeout(this.connectTimer);
        this.connectTimer = null;
        this.options.handlers.confirmed();
      }
      return;
    }
    this.options.handlers.frame(bytes);
  }

  private onIceState(state: string): void {
    if (state === 'failed' || state === 'closed') return this.fail(`ICE ${state}`);
    if (state === 'disconnected') {
      this.markQuiet();
      if (!this.graceTimer) this.graceTimer = setTimeout(() => this.fail('ICE disconnected too long'), this.options.timeouts.disconnectGraceMs);
    } else if (this.graceTimer) {
      clearTimeout(this.graceTimer);
      this.graceTimer = null;
    }
  }
}
