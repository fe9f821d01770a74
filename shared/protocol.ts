// The WebSocket protocol between a client and the rendezvous server: every message as one
// discriminated union, with the runtime validators both sides use.
//
// Text frames carry JSON control messages (below). Binary frames carry relayed peer traffic in
// a relay envelope (see relayEnvelope.ts); the server forwards the payload unchanged.

import { ChatError, isErrorCode, type ErrorCode } from './errors';
import { digestChars, isBucketCount } from './roomDigest';
import {
  CLUSTER_NODES_MAX,
  DEVICE_KEY_BYTES,
  DEVICE_KEYS_LOOKUP_MAX,
  DEVICE_SIGNATURE_BYTES,
  DISPLAY_NAME_MAX_CHARS,
  PEER_ID_CHARS,
  PEER_SECRET_MAX_CHARS,
  PEER_SECRET_MIN_CHARS,
  NODE_URL_MAX_CHARS,
  PROTOCOL_VERSION,
  SESSION_KEY_BYTES,
  ROOM_DIGEST_BUCKETS_MAX,
  USERNAME_MAX_CHARS,
  SIGNAL_MAX_BYTES,
  WS_SERVER_MESSAGE_MAX_BYTES,
} from './limits';

export type PeerId = string;

/** One online connection. The same user may be several peers (tabs, devices). */
export interface PeerInfo {
  peerId: PeerId;
  username: string;
  displayName: string;
  /** The device's Ed25519 public key (base64url, 43 chars), bound to the account by the server (proof checked). */
  deviceKey: string;
  /**
   * This peer's session key (X25519, base64url, 43 chars) and the device key's signature over it
   * (shared/e2e/sessionKey.ts), as the peer sent them in `auth`; the server only carries them. Relayed
   * frames to this peer are sealed with it. Absent for a client that seals nothing (raw test sockets).
   */
  sessionKey?: string;
  sessionProof?: string;
}

/** How peer traffic may travel, decided by the server configuration. */
export type RelayMode = 'auto' | 'off' | 'force';

export interface IceServerConfig {
  urls: string | string[];
  username?: string;
  credential?: string;
}

/** Room settings announced to each client at authentication. */
export interface RoomSettings {
  maxImageBytes: number;
  relay: RelayMode;
  iceServers: IceServerConfig[];
}

/** simple-peer signal payload (offer/answer SDP, a candidate, or renegotiation). Opaque to the server. */
export type SignalData = Record<string, unknown>;

// ---- client -> server -----------------------------------------------------------------------
export interface AuthMessage {
  v: number;
  type: 'auth';
  token: string;
  /** Client-chosen random secret; the server derives a stable peer id from it and the user, so a reconnect resumes the same peer id. */
  peerSecret: string;
  /** This device's Ed25519 public key (base64url). */
  deviceKey: string;
  /** Its signature over deviceProofBytes(token) (base64url): proof that the client holds the key. */
  proof: string;
  /** This Mesh's session key and its device key's signature over it (PeerInfo.sessionKey); both or neither. */
  sessionKey?: string;
  sessionProof?: string;
  /** A resuming client: the room it holds (shared/roomDigest.ts), so the welcome sends only what changed. */
  known?: KnownRoom;
}
/** A room digest: `buckets` (a power of two) and their XORed entry hashes, base64url. */
export interface KnownRoom {
  buckets: number;
  digest: string;
}
export interface SignalToMessage {
  v: number;
  type: 'signal';
  to: PeerId;
  data: SignalData;
}
/** "Which accounts own these device keys?" (to verify messages of authors not online now). */
export interface KeysRequestMessage {
  v: number;
  type: 'keys';
  keys: string[];
}
export type ClientMessage = AuthMessage | SignalToMessage | KeysRequestMessage;

// ---- server -> client -----------------------------------------------------------------------
export interface WelcomeMessage {
  v: number;
  type: 'welcome';
  self: PeerInfo;
  peers: PeerInfo[];
  settings: RoomSettings;
  /**
   * Cluster mode: the http(s) origins of the live nodes, this one included; a client that loses
   * its node tries the others. Absent from a single node. Optional, so no version bump: a client
   * that does not know the field ignores it.
   */
  nodes?: string[];
  /**
   * Present when the client sent `auth.known`: `peers` holds only the peers of the buckets (of
   * `buckets`) listed in `changed`, which replace the client's; it keeps its other buckets as
   * they are. Absent: `peers` is the whole room.
   */
  partial?: { buckets: number; changed: number[] };
}
export interface PresenceMessage {
  v: number;
  type: 'presence';
  joined: PeerInfo[];
  left: PeerId[];
}
export interface SignalFromMessage {
  v: number;
  type: 'signal';
  from: PeerId;
  data: SignalData;
}
/** Relay backpressure: the receiver `peer` is backed up (paused) or has drained (resumed). */
export interface RelayFlowMessage {
  v: number;
  type: 'relay-flow';
  peer: PeerId;
  paused: boolean;
}
export interface ErrorMessage {
  v: number;
  type: 'error';
  code: ErrorCode;
  message: string;
  /** The peer id a relay/signal error refers to, when there is one. */
  peer?: PeerId;
}
/** The answer to a KeysRequestMessage: the owner of each asked key bound to an account (keys bound to none are absent). */
export interface KeysMessage {
  v: number;
  type: 'keys';
  owners: KeyOwner[];
}
export interface KeyOwner {
  deviceKey: string;
  username: string;
  displayName: string;
}
export type ServerMessage = WelcomeMessage | PresenceMessage | SignalFromMessage | RelayFlowMessage | ErrorMessage | KeysMessage;

// ---- validation -----------------------------------------------------------------------------
type Json = Record<string, unknown>;

function fail(code: ErrorCode, message: string): never {
  throw new ChatError(code, message);
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(obj: Json, key: string, min: number, max: number): string {
  const value = obj[key];
  if (typeof value !== 'string') fail('BAD_MESSAGE', `"${key}" must be a string`);
  if (value.length < min || value.length > max) fail('BAD_MESSAGE', `"${key}" must be ${min}-${max} characters`);
  return value;
}

const PEER_ID_PATTERN = new RegExp(`^[A-Za-z0-9_-]{${PEER_ID_CHARS}}$`);
const BASE64URL_PATTERN = /^[A-Za-z0-9_-]+$/;

export function isPeerId(value: unknown): value is PeerId {
  return typeof value === 'string' && PEER_ID_PATTERN.test(value);
}

function peerId(obj: Json, key: string): PeerId {
  const value = obj[key];
  if (!isPeerId(value)) fail('BAD_MESSAGE', `"${key}" must be a peer id`);
  return value;
}

/** base64url of exactly `chars` characters (a key or a signature; the curve check is the server's). */
function base64url(obj: Json, key: string, chars: number): string {
  const value = str(obj, key, chars, chars);
  if (!BASE64URL_PATTERN.test(value)) fail('BAD_MESSAGE', `"${key}" must be base64url`);
  return value;
}

/** Characters of base64url for a device key and for a signature. */
const DEVICE_KEY_CHARS = Math.ceil((DEVICE_KEY_BYTES * 4) / 3);
const DEVICE_SIGNATURE_CHARS = Math.ceil((DEVICE_SIGNATURE_BYTES * 4) / 3);
const SESSION_KEY_CHARS = Math.ceil((SESSION_KEY_BYTES * 4) / 3);

/** The optional session key and its proof: both or neither. */
function sessionFields(obj: Json): { sessionKey?: string; sessionProof?: string } {
  if (obj.sessionKey === undefined && obj.sessionProof === undefined) return {};
  return { sessionKey: base64url(obj, 'sessionKey', SESSION_KEY_CHARS), sessionProof: base64url(obj, 'sessionProof', DEVICE_SIGNATURE_CHARS) };
}

/** Validates one peer entry (a presence record; also the server's saved room). Throws ChatError. */
export function parsePeerInfo(value: unknown): PeerInfo {
  return peerInfo(value);
}

function peerInfo(value: unknown): PeerInfo {
  if (!isObject(value)) fail('BAD_MESSAGE', 'peer must be an object');
  return {
    peerId: peerId(value, 'peerId'),
    username: str(value, 'username', 1, USERNAME_MAX_CHARS * 2),
    displayName: str(value, 'displayName', 0, DISPLAY_NAME_MAX_CHARS * 2),
    deviceKey: base64url(value, 'deviceKey', DEVICE_KEY_CHARS),
    ...sessionFields(value),
  };
}

function array<T>(obj: Json, key: string, item: (value: unknown) => T, max = 100_000): T[] {
  const value = obj[key];
  if (!Array.isArray(value) || value.length > max) fail('BAD_MESSAGE', `"${key}" must be an array`);
  return value.map(item);
}

/**
 * Deepest nesting of objects/arrays in a control message. simple-peer signals are 3 levels deep.
 * JSON.parse copes with any depth, but JSON.stringify (forwarding a signal) overflows the stack at
 * a few thousand levels, which a 64 KiB message can hold.
 */
export const MESSAGE_MAX_DEPTH = 32;

/** UTF-8 length of a string, without encoding it. */
function utf8Bytes(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && i + 1 < text.length) {
      bytes += 4; // a surrogate pair is one 4-byte code point
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** True when `value` nests objects/arrays at most `maxDepth` deep. Iterative: depth must not cost stack. */
function nestingWithin(value: unknown, maxDepth: number): boolean {
  const pending: Array<{ item: unknown; depth: number }> = [{ item: value, depth: 1 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    if (typeof next.item !== 'object' || next.item === null) continue;
    if (next.depth > maxDepth) return false;
    for (const child of Object.values(next.item)) pending.push({ item: child, depth: next.depth + 1 });
  }
  return true;
}

/** Parses the envelope shared by all messages: size, JSON, nesting, object, version, type. */
function parseEnvelope(raw: string, maxBytes: number): Json & { type: string } {
  // A UTF-16 length bound first, so the byte count never walks a huge string.
  if (raw.length > maxBytes || utf8Bytes(raw) > maxBytes) fail('TOO_LARGE', `message over ${maxBytes} bytes`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    fail('BAD_JSON', 'message is not valid JSON');
  }
  if (!nestingWithin(parsed, MESSAGE_MAX_DEPTH)) fail('BAD_MESSAGE', `message nested deeper than ${MESSAGE_MAX_DEPTH} levels`);
  if (!isObject(parsed)) fail('BAD_MESSAGE', 'message must be a JSON object');
  if (parsed.v !== PROTOCOL_VERSION) fail('UNSUPPORTED_VERSION', `protocol version must be ${PROTOCOL_VERSION}`);
  if (typeof parsed.type !== 'string') fail('BAD_MESSAGE', '"type" must be a string');
  return parsed as Json & { type: string };
}

function signalData(obj: Json): SignalData {
  const data = obj.data;
  if (!isObject(data)) fail('BAD_MESSAGE', '"data" must be an object');
  return data;
}

/** Validates a message a client sent. Throws ChatError with a stable code. */
export function parseClientMessage(raw: string): ClientMessage {
  // A signal is the largest message a client sends: SIGNAL_MAX_BYTES caps them all.
  const msg = parseEnvelope(raw, SIGNAL_MAX_BYTES);
  switch (msg.type) {
    case 'auth': {
      const token = str(msg, 'token', 1, 128);
      const peerSecret = str(msg, 'peerSecret', PEER_SECRET_MIN_CHARS, PEER_SECRET_MAX_CHARS);
      if (!BASE64URL_PATTERN.test(peerSecret)) fail('BAD_MESSAGE', '"peerSecret" must be base64url');
      const deviceKey = base64url(msg, 'deviceKey', DEVICE_KEY_CHARS);
      const proof = base64url(msg, 'proof', DEVICE_SIGNATURE_CHARS);
      const auth: AuthMessage = { v: PROTOCOL_VERSION, type: 'auth', token, peerSecret, deviceKey, proof, ...sessionFields(msg) };
      if (msg.known !== undefined) auth.known = knownRoom(msg.known);
      return auth;
    }
    case 'signal':
      return { v: PROTOCOL_VERSION, type: 'signal', to: peerId(msg, 'to'), data: signalData(msg) };
    case 'keys':
      return { v: PROTOCOL_VERSION, type: 'keys', keys: array(msg, 'keys', deviceKeyText, DEVICE_KEYS_LOOKUP_MAX) };
    default:
      fail('UNKNOWN_TYPE', `unknown message type "${msg.type.slice(0, 40)}"`);
  }
}

function knownRoom(value: unknown): KnownRoom {
  if (!isObject(value) || !isBucketCount(value.buckets)) fail('BAD_MESSAGE', `known.buckets must be a power of two up to ${ROOM_DIGEST_BUCKETS_MAX}`);
  return { buckets: value.buckets, digest: base64url(value, 'digest', digestChars(value.buckets)) };
}

/** The `partial` of a welcome: a bucket count and distinct buckets below it. */
function partialWelcome(value: unknown): { buckets: number; changed: number[] } {
  if (!isObject(value) || !isBucketCount(value.buckets)) fail('BAD_MESSAGE', 'partial.buckets must be a power of two');
  const buckets = value.buckets;
  const changed = array(value, 'changed', (b) => (typeof b === 'number' && Number.isInteger(b) && b >= 0 && b < buckets ? b : fail('BAD_MESSAGE', 'partial.changed must hold bucket numbers')), buckets);
  return { buckets, changed };
}

function deviceKeyText(value: unknown): string {
  if (typeof value !== 'string' || value.length !== DEVICE_KEY_CHARS || !BASE64URL_PATTERN.test(value)) fail('BAD_MESSAGE', 'a device key is 43 base64url chars');
  return value;
}

function keyOwner(value: unknown): KeyOwner {
  if (!isObject(value)) fail('BAD_MESSAGE', 'a key owner must be an object');
  return {
    deviceKey: base64url(value, 'deviceKey', DEVICE_KEY_CHARS),
    username: str(value, 'username', 1, USERNAME_MAX_CHARS * 2),
    displayName: str(value, 'displayName', 0, DISPLAY_NAME_MAX_CHARS * 2),
  };
}

function relayMode(value: unknown): RelayMode {
  if (value === 'auto' || value === 'off' || value === 'force') return value;
  fail('BAD_MESSAGE', 'settings.relay must be auto, off or force');
}

function iceServer(value: unknown): IceServerConfig {
  if (!isObject(value)) fail('BAD_MESSAGE', 'ice server must be an object');
  const urls = value.urls;
  const ok = typeof urls === 'string' || (Array.isArray(urls) && urls.every((u) => typeof u === 'string'));
  if (!ok) fail('BAD_MESSAGE', 'ice server urls must be strings');
  const server: IceServerConfig = { urls: urls as string | string[] };
  if (typeof value.username === 'string') server.username = value.username;
  if (typeof value.credential === 'string') server.credential = value.credential;
  return server;
}

function nodeUrl(value: unknown): string {
  if (typeof value !== 'string' || value.length > NODE_URL_MAX_CHARS || !/^https?:\/\/[^/\s]+$/.test(value)) fail('BAD_MESSAGE', 'nodes must hold http(s) origins');
  return value;
}

function settings(value: unknown): RoomSettings {
  if (!isObject(value)) fail('BAD_MESSAGE', 'settings must be an object');
  const maxImageBytes = value.maxImageBytes;
  if (typeof maxImageBytes !== 'number' || !Number.isSafeInteger(maxImageBytes) || maxImageBytes <= 0) {
    fail('BAD_MESSAGE', 'settings.maxImageBytes must be a positive integer');
  }
  return { maxImageBytes, relay: relayMode(value.relay), iceServers: array(value, 'iceServers', iceServer, 32) };
}

/** Validates a message from the server (a welcome grows with the room: WS_SERVER_MESSAGE_MAX_BYTES). */
export function parseServerMessage(raw: string): ServerMessage {
  const msg = parseEnvelope(raw, WS_SERVER_MESSAGE_MAX_BYTES);
  const v = PROTOCOL_VERSION;
  switch (msg.type) {
    case 'welcome': {
      const welcome: WelcomeMessage = { v, type: 'welcome', self: peerInfo(msg.self), peers: array(msg, 'peers', peerInfo), settings: settings(msg.settings) };
      if (msg.nodes !== undefined) welcome.nodes = array(msg, 'nodes', nodeUrl, CLUSTER_NODES_MAX);
      if (msg.partial !== undefined) welcome.partial = partialWelcome(msg.partial);
      return welcome;
    }
    case 'presence':
      return { v, type: 'presence', joined: array(msg, 'joined', peerInfo), left: array(msg, 'left', (p) => (isPeerId(p) ? p : fail('BAD_MESSAGE', 'left must hold peer ids'))) };
    case 'signal':
      return { v, type: 'signal', from: peerId(msg, 'from'), data: signalData(msg) };
    case 'relay-flow':
      if (typeof msg.paused !== 'boolean') fail('BAD_MESSAGE', '"paused" must be a boolean');
      return { v, type: 'relay-flow', peer: peerId(msg, 'peer'), paused: msg.paused };
    case 'keys':
      return { v, type: 'keys', owners: array(msg, 'owners', keyOwner, DEVICE_KEYS_LOOKUP_MAX) };
    case 'error': {
      if (!isErrorCode(msg.code)) fail('BAD_MESSAGE', 'unknown error code');
      const out: ErrorMessage = { v, type: 'error', code: msg.code, message: str(msg, 'message', 0, 1000) };
      if (msg.peer !== undefined) out.peer = peerId(msg, 'peer');
      return out;
    }
    default:
      fail('UNKNOWN_TYPE', `unknown message type "${msg.type.slice(0, 40)}"`);
  }
}

/** Distributes Omit over a union, so each member keeps its own fields. */
type WithoutVersion<T> = T extends unknown ? Omit<T, 'v'> : never;

/** Serializes a message, stamping the protocol version. */
export function encodeMessage(message: WithoutVersion<ClientMessage | ServerMessage>): string {
  return JSON.stringify({ ...message, v: PROTOCOL_VERSION });
}
