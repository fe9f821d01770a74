// One WebSocket connection and what the server knows about it. Every send goes through here, so
// a socket that stops reading can never make the server buffer without bound.

import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import { closeCodeFor, type ErrorCode } from '../../shared/errors';
import { RELAY_DROP_ABOVE_BYTES, WS_CLOSE_TIMEOUT_MS } from '../../shared/limits';
import { encodeMessage, type PeerId, type PeerInfo, type ServerMessage } from '../../shared/protocol';
import { FloodMeter, TokenBucket } from './rateLimit';

/** A receiver this far behind on control messages is not reading at all: drop it. */
const CONTROL_BACKLOG_MAX_BYTES = 2 * RELAY_DROP_ABOVE_BYTES;

/** Control messages are text frames, also when handed over as a Buffer. */
const TEXT_FRAME = { binary: false } as const;

type Outgoing = ServerMessage extends infer T ? (T extends unknown ? Omit<T, 'v'> : never) : never;

export type ConnectionState = 'pending' | 'authenticating' | 'online' | 'closed';

export interface OnlinePeer {
  info: PeerInfo;
  userId: string;
  tokenHash: string;
  /** Session expiry (ms since the epoch): the socket is closed then. */
  expiresAt: number;
  /** This connection's generation of the peer (newer connections of a peer have larger ones, across nodes). */
  gen: number;
}

let lastGeneration = 0;

/**
 * A generation for a new connection: the time in microseconds, kept increasing within a node.
 * Across nodes it orders two connections of one peer made more than a clock skew apart (a peer
 * reconnecting after its node died takes seconds), which is all presence needs.
 */
export function nextGeneration(now = Date.now()): number {
  lastGeneration = Math.max(lastGeneration + 1, now * 1000);
  return lastGeneration;
}

export class Connection {
  state: ConnectionState = 'pending';
  online: OnlinePeer | undefined;
  invalidMessages = 0;
  lastRateLimitedAt = -Infinity;
  alive = true;
  expiryTimer: NodeJS.Timeout | undefined;
  readonly bucket = new TokenBucket();
  readonly flood = new FloodMeter();
  /** Called once when the server decides to close it, before the close handshake completes. */
  onClosing: (() => void) | undefined;

  constructor(
    readonly ws: WebSocket,
    readonly address: string,
  ) {}

  get peerId(): PeerId | undefined {
    return this.online?.info.peerId;
  }

  get isOpen(): boolean {
    return this.ws.readyState === this.ws.OPEN;
  }

  /** Bytes queued for this socket that the kernel has not taken yet. */
  get backlog(): number {
    return this.ws.bufferedAmount;
  }

  /** Bytes of this socket the kernel has taken so far: it grows while the client reads. */
  get bytesTaken(): number {
    // ws keeps its net.Socket as `_socket`; its counters are Node's public ones.
    const socket = (this.ws as unknown as { _socket?: Socket })._socket;
    return socket ? socket.bytesWritten - socket.writableLength : 0;
  }

  /** Relayed bytes, as they are (the caller has checked the backlog). */
  sendBinary(bytes: Uint8Array): void {
    if (this.isOpen) this.ws.send(bytes, { binary: true });
  }

  /** Cuts the socket at once (no close handshake). */
  terminate(): void {
    this.ws.terminate();
  }

  /** A WebSocket ping; false when the socket could not take it. */
  ping(): boolean {
    try {
      this.ws.ping();
      return true;
    } catch {
      return false;
    }
  }

  onPong(listener: () => void): void {
    this.ws.on('pong', listener);
  }

  /** Called when the socket has closed (whoever closed it). */
  onClosed(listener: () => void): void {
    this.ws.on('close', listener);
  }

  /** Marks the connection closed once its socket is gone. */
  markClosed(): void {
    this.state = 'closed';
  }

  /** Authenticated: the socket now speaks for `online`. */
  goOnline(online: OnlinePeer): void {
    this.online = online;
    this.state = 'online';
  }

  send(message: Outgoing): void {
    this.sendEncoded(encodeMessage(message));
  }

  /**
   * Sends an already-encoded message. A broadcast passes one Buffer to every receiver: ws then
   * writes those same bytes after a per-socket frame header, where a string would be measured
   * and UTF-8 encoded again for each socket.
   */
  sendEncoded(message: string | Buffer): void {
    if (this.canTakeControl()) this.ws.send(message, TEXT_FRAME);
  }

  /**
   * Sends one message made of several encoded parts, each as a fragment (a continuation frame):
   * parts shared by many sockets (a room's peer list, a presence batch) go out without being
   * copied into a message of their own.
   */
  sendFragments(parts: readonly Buffer[]): void {
    if (parts.length === 0 || !this.canTakeControl()) return;
    const last = parts.length - 1;
    for (let i = 0; i < last; i++) this.ws.send(parts[i], { binary: false, fin: false });
    this.ws.send(parts[last], { binary: false, fin: true });
  }

  /** False when it cannot be written to; a receiver too far behind is cut. */
  private canTakeControl(): boolean {
    if (!this.isOpen) return false;
    if (this.ws.bufferedAmount <= CONTROL_BACKLOG_MAX_BYTES) return true;
    this.ws.terminate();
    return false;
  }

  sendError(code: ErrorCode, message: string, peer?: PeerId): void {
    this.send(peer === undefined ? { type: 'error', code, message } : { type: 'error', code, message, peer });
  }

  /** Tells the client why, then closes with the close code of `code` (the reason names the code). */
  close(code: ErrorCode, message: string): void {
    if (this.state === 'closed') return;
    this.sendError(code, message);
    this.state = 'closed';
    this.onClosing?.();
    if (!this.isOpen) return;
    this.ws.close(closeCodeFor(code), code);
    // A peer that never answers the close frame is cut after WS_CLOSE_TIMEOUT_MS (ws waits 30 s).
    const cut = setTimeout(() => this.ws.terminate(), WS_CLOSE_TIMEOUT_MS);
    this.ws.once('close', () => clearTimeout(cut));
  }
}
