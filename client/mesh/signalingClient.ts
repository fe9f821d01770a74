// The socket to the rendezvous server: authenticates, parses every message, reconnects with
// exponential backoff and full jitter, and re-authenticates with the same token and peer secret
// so the server gives back the same peer id. In a cluster the welcome names every live node: a
// client that loses its node tries the others in turn (same backoff), and resumes its session
// there (the token is held in memory; the nodes share the accounts).
//
// It keeps the room it was told about across reconnects (roomDirectory.ts) and names it when it
// resumes: the server sends back only the buckets that changed (after a server restart, usually
// none), and the handlers still get the whole room in the welcome.

import { deviceAuth, type DeviceKeyPair } from '../../shared/deviceKey';
import { sessionAuth, type SessionKeyPair } from '../../shared/e2e/index';
import { isFatalCloseCode, isOutdatedCloseCode } from '../../shared/errors';
import { reconnectDelayMs } from '../../shared/reconnectBackoff';
import {
  encodeMessage,
  parseServerMessage,
  type ErrorMessage,
  type KeyOwner,
  type PeerId,
  type PresenceMessage,
  type SignalData,
  type WelcomeMessage,
} from '../../shared/protocol';
import { buildRelayRequest, decodeRelayEnvelope } from '../../shared/relayEnvelope';
import type { ConnectionStatus } from './api';
import type { SealedPayload } from './relayCodec';
import { RoomDirectory } from './roomDirectory';

export interface SignalingHandlers {
  status(status: ConnectionStatus): void;
  /** `resumed`: a welcome after a reconnect, not the first one. */
  welcome(message: WelcomeMessage, resumed: boolean): void;
  presence(message: PresenceMessage): void;
  signal(from: PeerId, data: SignalData): void;
  relay(from: PeerId, payload: Uint8Array): void;
  relayFlow(peer: PeerId, paused: boolean): void;
  /** The answer to `askKeys`. */
  keys(owners: KeyOwner[]): void;
  serverError(message: ErrorMessage): void;
  /** A message from the server we could not parse. */
  protocolError(message: string): void;
}

export interface SignalingOptions {
  url: string;
  token: string;
  peerSecret: string;
  /** The device key bound to the account at every authentication. */
  deviceKey: DeviceKeyPair;
  /** This Mesh's session key, announced at every authentication (the same one on a reconnect). */
  sessionKey: SessionKeyPair;
  WebSocket?: unknown;
  handlers: SignalingHandlers;
  reconnectFirstMs?: number;
  reconnectMaxMs?: number;
}

interface MinimalSocket {
  readyState: number;
  binaryType: string;
  bufferedAmount: number;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
}
type SocketCtor = new (url: string) => MinimalSocket;

const OPEN = 1;

/** The WebSocket endpoint of a node given by its http(s) origin (a welcome's `nodes`). */
export function nodeSocketUrl(origin: string): string {
  return `${origin.replace(/^http/, 'ws')}/ws`;
}

export class SignalingClient {
  private socket: MinimalSocket | null = null;
  /** Where to connect: the configured address first, then the cluster's nodes once a welcome named them. */
  private urls: string[];
  private urlIndex = 0;
  private authed = false;
  private everWelcomed = false;
  private attempts = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  private readonly Ctor: SocketCtor;
  /** The room as last announced to this client, kept across reconnects. */
  private readonly room = new RoomDirectory();
  private selfId: PeerId | undefined;

  constructor(private readonly options: SignalingOptions) {
    const ctor = options.WebSocket ?? (globalThis as { WebSocket?: unknown }).WebSocket;
    if (!ctor) throw new Error('no WebSocket implementation: pass options.WebSocket in Node');
    this.Ctor = ctor as SocketCtor;
    this.urls = [options.url];
  }

  /** The address of the node this client is (or will next be) connected to. */
  get url(): string {
    return this.urls[this.urlIndex];
  }

  get online(): boolean {
    return this.authed && this.socket?.readyState === OPEN;
  }

  get bufferedAmount(): number {
    return this.socket?.bufferedAmount ?? 0;
  }

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.drop(1000, 'bye');
    this.options.handlers.status('stopped');
  }

  /** Asks which accounts own `keys` (at most DEVICE_KEYS_LOOKUP_MAX); the answer comes to `handlers.keys`. */
  askKeys(keys: string[]): boolean {
    if (!this.online) return false;
    this.socket!.send(encodeMessage({ type: 'keys', keys }));
    return true;
  }

  sendSignal(to: PeerId, data: SignalData): boolean {
    if (!this.online) return false;
    this.socket!.send(encodeMessage({ type: 'signal', to, data }));
    return true;
  }

  /**
   * One payload for one or several peers (RELAY_RECIPIENTS_MAX at most), in one message that crosses
   * this socket once, written straight into the envelope (relayCodec.ts makes it).
   */
  sendRelay(to: readonly PeerId[], payload: SealedPayload): boolean {
    if (!this.online) return false;
    this.socket!.send(buildRelayRequest(to, payload.byteLength, payload.write));
    return true;
  }

  private drop(code: number, reason: string): void {
    const socket = this.socket;
    this.socket = null;
    this.authed = false;
    if (!socket) return;
    socket.onopen = socket.onmessage = socket.onclose = null;
    // Not null: ws reports closing a socket that is still connecting as an 'error' event, and Node
    // throws an 'error' nobody listens to (the CLI stopped while the server was unreachable died so).
    socket.onerror = () => {};
    try {
      socket.close(code, reason);
    } catch {
      // already closing
    }
  }

  private connect(): void {
    const { handlers } = this.options;
    handlers.status(this.everWelcomed ? 'reconnecting' : 'connecting');
    let socket: MinimalSocket;
    try {
      socket = new this.Ctor(this.url);
    } catch (err) {
      handlers.protocolError(`cannot open socket: ${(err as Error).message}`);
      return this.scheduleReconnect();
    }
    this.socket = socket;
    socket.binaryType = 'arraybuffer';
    socket.onopen = () => {
      const { token, peerSecret, deviceKey, sessionKey } = this.options;
      const known = this.room.known();
      socket.send(encodeMessage({ type: 'auth', token, peerSecret, ...deviceAuth(deviceKey, token), ...sessionAuth(sessionKey), ...(known ? { known } : {}) }));
    };
    socket.onmessage = (ev) => this.onMessage(ev.data);
    socket.onerror = () => {
      // A close event always follows; reconnecting is decided there.
    };
    socket.onclose = (ev) => {
      this.socket = null;
      this.authed = false;
      if (this.stopped) return;
      if (isOutdatedCloseCode(ev.code)) {
        this.stopped = true;
        handlers.status('outdated');
        return;
      }
      if (isFatalCloseCode(ev.code)) {
        this.stopped = true;
        handlers.status('unauthorized');
        return;
      }
      this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    // A node lost (or unreachable): the next attempt goes to the next node of the cluster.
    this.urlIndex = (this.urlIndex + 1) % this.urls.length;
    this.options.handlers.status(this.everWelcomed ? 'reconnecting' : 'connecting');
    const delay = reconnectDelayMs(this.attempts++, this.options.reconnectFirstMs, this.options.reconnectMaxMs);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.stopped) this.connect();
    }, delay);
  }

  /** The node list of a welcome, the current node first kept in place. */
  private learnNodes(nodes: string[]): void {
    const current = this.url;
    // Nodes behind one front address (nginx) all advertise that address: listed once.
    this.urls = [...new Set([current, ...nodes.map(nodeSocketUrl)])];
    this.urlIndex = 0;
  }

  private onMessage(data: unknown): void {
    const { handlers } = this.options;
    if (typeof data !== 'string') {
      const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : data instanceof Uint8Array ? data : null;
      if (!bytes) return handlers.protocolError('unexpected binary message type');
      try {
        const { peerId, payload } = decodeRelayEnvelope(bytes);
        handlers.relay(peerId, payload);
      } catch (err) {
        handlers.protocolError(`bad relay frame: ${(err as Error).message}`);
      }
      return;
    }
    let message;
    try {
      message = parseServerMessage(data);
    } catch (err) {
      return handlers.protocolError(`bad server message: ${(err as Error).message}`);
    }
    switch (message.type) {
      case 'welcome': {
        const resumed = this.everWelcomed;
        this.authed = true;
        this.everWelcomed = true;
        this.attempts = 0;
        if (message.nodes && message.nodes.length > 0) this.learnNodes(message.nodes);
        this.selfId = message.self.peerId;
        const { partial: _partial, ...whole } = message;
        handlers.welcome({ ...whole, peers: this.room.applyWelcome(message) }, resumed);
        handlers.status('online');
        return;
      }
      case 'presence':
        this.room.applyPresence(message, this.selfId);
        return handlers.presence(message);
      case 'signal':
        return handlers.signal(message.from, message.data);
      case 'relay-flow':
        return handlers.relayFlow(message.peer, message.paused);
      case 'keys':
        return handlers.keys(message.owners);
      case 'error':
        return handlers.serverError(message);
    }
  }
}
