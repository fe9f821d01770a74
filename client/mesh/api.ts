// The transport's public face: what the UI (browser) and the CLI/tests/benchmarks (Node) use.
// The UI only renders this state and calls these intents; it never touches WebRTC or sockets.

import type { ImageMime } from '../../shared/limits';
import type { PeerId, PeerInfo, RoomSettings } from '../../shared/protocol';
import type { ErrorCode } from '../../shared/errors';
import type { Sha256Hasher } from '../../shared/sha256';
import type { DeviceKeyPair, DeviceSigner, DeviceVerifier } from '../../shared/deviceKey';
import type { Aead } from '../../shared/e2e/aead';
import type { X25519 } from '../../shared/e2e/pairKeys';
import type { ServeLimits } from './serveQuota';
import type { PinStorage } from './keyPins';
import type { MeshTimeouts } from './timeouts';
import type { KeptEntry } from './historyKeeper';
import type { KeptImageStore } from './keptImageRing';

export type { KeptEntry, KeptBytes } from './historyKeeper';

export type { MeshTimeouts } from './timeouts';

/**
 * The path that carries traffic to one peer now: `relay` (from the first second while the relay is
 * allowed, and for pairs beyond the direct-link budget), `direct` once a direct link is proven,
 * `connecting` while nothing can carry yet (relay off), `unreachable` when the direct link failed
 * and the relay is off.
 */
export type LinkState = 'connecting' | 'direct' | 'relay' | 'unreachable';

/** The signaling connection to the rendezvous server. `outdated`: the server speaks a newer protocol; reload the page (or update the CLI). */
export type ConnectionStatus = 'connecting' | 'online' | 'reconnecting' | 'unauthorized' | 'outdated' | 'stopped';

export interface PeerView extends PeerInfo {
  link: LinkState;
  /**
   * The safety number of this device pair (shared/e2e/safetyNumber.ts): 12 digits in groups of 4,
   * the same on the other device's screen unless someone swapped a key between them.
   */
  safetyNumber: string;
}

interface MessageBase {
  /** Unique message id (32 hex chars), chosen by the sender. */
  id: string;
  /**
   * The author: the account whose device key signed the message, as the server binds keys to
   * accounts (never taken from the message alone). `peerId` is '' for an author not online now.
   */
  from: PeerInfo;
  /** The author device's public key (base64url) that signed the message. */
  device: string;
  /** That device's Ed25519 signature over the message's content record (shared/contentRecord.ts), base64url. */
  sig: string;
  /** Author's room clock, ms since the epoch. */
  sentAt: number;
  /** True for messages this mesh sent. */
  own: boolean;
  /** Set for a message said before this mesh joined, passed on by `via` (history from peers). */
  via?: PeerInfo;
}
export interface TextMessage extends MessageBase {
  kind: 'text';
  text: string;
}
export interface ImageMessage extends MessageBase {
  kind: 'image';
  name: string;
  /** Sniffed from the bytes, never taken from a name or declared type. */
  mime: ImageMime;
  bytes: Uint8Array;
  /** Hex SHA-256 of bytes. */
  sha256: string;
}
export type ChatMessage = TextMessage | ImageMessage;

export interface TransferProgress {
  messageId: string;
  peerId: PeerId;
  direction: 'send' | 'receive';
  bytes: number;
  total: number;
  /** Average since the transfer started (bytes/s). */
  bytesPerSecond: number;
  done: boolean;
}

/** How far one own message got: `delivered` of the `total` other accounts online when it was sent have stored and shown it. */
export interface DeliveryState {
  messageId: string;
  delivered: number;
  total: number;
}

export interface MeshError {
  code: ErrorCode;
  message: string;
  peerId?: PeerId;
  messageId?: string;
  /** The error concerns a message from `peerId` that this mesh refused (not one of ours, not a link). */
  incoming?: boolean;
}

export interface MeshEvents {
  status: (status: ConnectionStatus) => void;
  /** The whole list (self excluded) whenever anyone joins, leaves or changes link state. */
  peers: (peers: PeerView[]) => void;
  /** Every delivered message, incoming and own, exactly once. */
  message: (message: ChatMessage) => void;
  progress: (progress: TransferProgress) => void;
  error: (error: MeshError) => void;
  /** An own message's delivery changed (also emitted once when it is sent, with delivered 0). */
  delivery: (state: DeliveryState) => void;
  /** `peer` is typing (at most about every TYPING_SEND_EVERY_MS while it types; nothing says when it stops). */
  typing: (peer: PeerInfo) => void;
  /**
   * `peer`'s account shows a device key this device has not seen for it before, while it had seen
   * others (keyPins.ts): a new or replaced device, or a server handing out a key of its own. The
   * first key of an account is pinned silently (trust on first use).
   */
  deviceChanged: (peer: PeerView) => void;
}

export interface MeshOptions {
  /** ws:// or wss:// URL of the rendezvous socket, e.g. ws://192.168.1.5:8080/ws */
  serverUrl: string;
  /** Session token from POST /api/login. */
  token: string;
  /** WebRTC implementation for Node (`@roamhq/wrtc`); omitted in the browser. */
  wrtc?: unknown;
  /** WebSocket constructor for Node (`ws`); omitted in the browser. */
  WebSocket?: unknown;
  /**
   * An incremental native SHA-256 (Node: node:crypto, see client/cli/nodeSha256.ts): images are then
   * hashed chunk by chunk as they go out and come in, with nothing left at the end. Omitted in the
   * browser, where WebCrypto (one call at the end) or the JS hasher is used.
   */
  sha256?: () => Sha256Hasher;
  /** Test seam: transform or drop outgoing signals to a peer (e.g. strip candidates to force a failure). */
  filterSignal?: (to: PeerId, data: Record<string, unknown>) => Record<string, unknown> | null;
  /** Test seam: shorter timings than the named defaults of shared/limits.ts. */
  timeouts?: Partial<MeshTimeouts>;
  /**
   * This device's key (shared/deviceKey.ts), kept by the caller where it keeps the session (a
   * page: localStorage; the CLI: --state-dir). Omitted: a new key, i.e. a new device, per mesh.
   */
  deviceKey?: DeviceKeyPair;
  /**
   * ChaCha20-Poly1305 for sealing relayed frames (shared/e2e/aead.ts); omitted: the pure-JS one.
   * Node callers pass node:crypto's (client/cli/nodeAead.ts), several times faster.
   */
  aead?: Aead;
  /** X25519 for the relay's pair keys (two agreements per peer); omitted: pure JS. Node callers pass node:crypto's (client/cli/nodeX25519.ts). */
  x25519?: X25519;
  /**
   * Benchmarks only: relay frames unencrypted, to measure what sealing costs in the same run. Every
   * mesh of the room must agree; a sealing mesh refuses what such a mesh relays. Never set by the app or the CLI.
   */
  plainRelay?: boolean;
  /** Ed25519 verification of others' signatures (Node: node:crypto's, see client/cli/nodeEd25519.ts); default pure JS. */
  verify?: DeviceVerifier;
  /** Ed25519 signing with the device key (Node: node:crypto's, see shared/nodeEd25519.ts); default pure JS. */
  sign?: DeviceSigner;
  /**
   * The history the caller keeps (a page: IndexedDB), loaded once at start: what this peer can pass on
   * to newcomers, and what it need not be sent. Signed messages only are passed on (record set).
   */
  keptHistory?: () => Promise<KeptEntry[]>;
  /**
   * How the bytes of images kept for newcomers are held (keptImageRing.ts). Omitted: by reference (a
   * page). Node callers pass a KeptImageRing: one reused region instead of new memory per image.
   */
  keptImages?: KeptImageStore;
  /**
   * Where the device keys seen per account are kept between runs (keyPins.ts; a page: localStorage,
   * the CLI: --state-dir). Omitted: pinned for this Mesh only.
   */
  keyPins?: PinStorage;
  /** Direct links this peer keeps at once (default DIRECT_LINKS_MAX); tests and benchmarks lower it. */
  directLinksMax?: number;
  /** Test seam: smaller history-serving quotas than the named defaults (serveQuota.ts, HISTORY_SERVE_*). */
  historyServeLimits?: Partial<ServeLimits>;
  /** Resume secret (base64url, 22-64 chars); generated once per Mesh when omitted. */
  peerSecret?: string;
}

export interface Mesh {
  readonly self: PeerInfo | null;
  readonly settings: RoomSettings | null;
  readonly status: ConnectionStatus;
  peers(): PeerView[];
  start(): void;
  /** Leaves the room: closes every link and the socket. */
  stop(): void;
  /** Sends to everyone online; returns the own message at once (also emitted as `message`). Throws ChatError TEXT_TOO_LONG. */
  sendText(text: string): TextMessage;
  /**
   * Checks the bytes first (type, size, structure: shared/imageCheck.ts); throws ChatError BAD_IMAGE /
   * IMAGE_TOO_LARGE / IMAGE_TOO_MANY_PIXELS / IMAGE_TOO_MANY_FRAMES and sends nothing.
   * The mesh keeps `bytes` as they are, without a copy (re-sends read them until every peer has the
   * image): the caller hands them over and must not change them afterwards.
   */
  sendImage(bytes: Uint8Array, name: string): Promise<ImageMessage>;
  on<E extends keyof MeshEvents>(event: E, handler: MeshEvents[E]): () => void;
  /** The app has stored and shown `message` (not own): its sender counts it as delivered to this account. */
  receipt(message: ChatMessage): void;
  /** The user is typing: tells everyone online, at most every TYPING_SEND_EVERY_MS however often it is called. */
  typing(): void;
  /** Resolves true once everything sent so far is acknowledged by every peer, false after `timeoutMs`. */
  drained?(timeoutMs?: number): Promise<boolean>;
}
