// Peer frames: what travels on a data channel or, wrapped in a relay envelope, through the server.
// Binary and self-describing: [version u8][type u8][message id, 16 bytes][seq u32 BE][payload].
// Decoding validates everything and throws ChatError; it never trusts a frame to name its sender.

import { ChatError, isErrorCode, type ErrorCode } from './errors';
import {
  CHUNK_BYTES,
  FRAME_VERSION,
  HISTORY_BATCH_RECORDS_MAX,
  HISTORY_SYNC_MESSAGES_MAX,
  IMAGE_MIME_TYPES,
  IMAGE_NAME_MAX_CHARS,
  PEER_FRAME_MAX_BYTES,
  RELAY_BUNDLE_FRAMES_MAX,
  RELAY_PAYLOAD_MAX_BYTES,
  TEXT_MAX_CHARS,
  type ImageMime,
} from './limits';
import { isSha256Hex, toHex } from './sha256';
import { isSignatureText } from './contentRecord';
import { parseHistoryRecord, type HistoryRecord } from './historyRecord';

export const FrameType = {
  TEXT: 1,
  IMAGE_START: 2,
  IMAGE_CHUNK: 3,
  ACK: 4,
  REJECT: 5,
  ABORT: 6,
  PING: 7,
  PONG: 8,
  /** "My side of direct attempt X is dead": lets both sides of a pair agree on a fallback. */
  PATH: 9,
  /** After the last chunk: the SHA-256 of the whole image (the sender hashes while it sends). */
  IMAGE_END: 10,
  /** Receiver -> sender while an image arrives: seq = chunks received in order so far (cumulative). Header only. */
  CHUNK_ACK: 11,
  /** Relay only: several frames in one message (RELAY_BUNDLE_FRAMES_MAX); seq = count, body = count x [u32 BE length][frame]. */
  BUNDLE: 12,
  /** "I am typing": header only, never acknowledged or stored; sent at most every TYPING_SEND_EVERY_MS. */
  TYPING: 13,
  /** "I have stored and shown message <id>" (its receiver's app said so): drives "Delivered to k of n". Header only. */
  RECEIPT: 14,
  /** Newcomer -> peer: "send me the room's recent messages I do not have" (HistoryRequestPayload). Acknowledged. */
  HISTORY_REQUEST: 15,
  /** Peer -> newcomer: signed records (texts in full, images without bytes), oldest first (HistoryBatchPayload). Acknowledged. */
  HISTORY_BATCH: 16,
  /** Newcomer -> peer: "pass on these images" (HistoryImagesPayload); they follow as image transfers with an origin. Acknowledged. */
  HISTORY_IMAGES: 17,
} as const;
export type FrameTypeCode = (typeof FrameType)[keyof typeof FrameType];

/**
 * Frames the receiver answers soon (ACK, CHUNK_ACK, a history batch): a link that carried one and
 * heard nothing back within 2 heartbeats is not carrying (directAttempt.ts).
 */
export const ANSWERED_FRAME_TYPES: ReadonlySet<number> = new Set([
  FrameType.TEXT,
  FrameType.IMAGE_CHUNK,
  FrameType.IMAGE_END,
  FrameType.HISTORY_REQUEST,
  FrameType.HISTORY_BATCH,
  FrameType.HISTORY_IMAGES,
]);

export const MESSAGE_ID_BYTES = 16;
/** Where the message id and the sequence number sit in the header: [version][type][id][seq]. */
const ID_OFFSET = 2;
const SEQ_OFFSET = ID_OFFSET + MESSAGE_ID_BYTES;
export const FRAME_HEADER_BYTES = SEQ_OFFSET + 4;
/** JSON payloads are small: a text is at most TEXT_MAX_CHARS UTF-16 units, i.e. <= 3 bytes each. */
const JSON_PAYLOAD_MAX_BYTES = PEER_FRAME_MAX_BYTES - FRAME_HEADER_BYTES;

export interface TextPayload {
  sentAt: number;
  text: string;
  /** Sender's lowest text sequence number still unacknowledged for this receiver: lets the receiver skip abandoned gaps. */
  base: number;
  /** The author device's signature over the text's content record (base64url, 86 chars). */
  sig: string;
  /** Said before the receiver was in the room, sent to it on its arrival (client/mesh/recentTexts.ts): shown as earlier. */
  earlier?: true;
}
/** Who wrote a forwarded image (a peer passing on history): absent, the sender wrote it. */
export interface ImageOrigin {
  author: string;
  /** The author device's public key (base64url). */
  device: string;
}
export interface ImageStartPayload {
  sentAt: number;
  name: string;
  mime: ImageMime;
  size: number;
  chunks: number;
  origin?: ImageOrigin;
}
export interface ImageEndPayload {
  sha256: string;
  /** The author device's signature over the image's content record (it holds the SHA-256). */
  sig: string;
}
export interface ReasonPayload {
  code: ErrorCode;
  message: string;
}
export interface HistoryRequestPayload {
  /** Ids of the newest messages the newcomer has (at most HISTORY_SYNC_MESSAGES_MAX). */
  have: string[];
  /** Send nothing older (ms since the epoch): what is older than the newcomer's window it has or no longer wants. */
  since: number;
}
export interface HistoryBatchPayload {
  records: HistoryRecord[];
  /** The last batch of this listing. */
  last: boolean;
}
export interface HistoryImagesPayload {
  ids: string[];
}
export interface PathPayload {
  deadAttempt: string;
}

interface Head {
  /** 32 hex chars. */
  id: string;
  seq: number;
}
export type Frame =
  | (Head & { type: typeof FrameType.TEXT; body: TextPayload })
  | (Head & { type: typeof FrameType.IMAGE_START; body: ImageStartPayload })
  | (Head & { type: typeof FrameType.IMAGE_CHUNK; body: Uint8Array })
  | (Head & { type: typeof FrameType.ACK })
  | (Head & { type: typeof FrameType.CHUNK_ACK })
  | (Head & { type: typeof FrameType.TYPING })
  | (Head & { type: typeof FrameType.RECEIPT })
  | (Head & { type: typeof FrameType.REJECT; body: ReasonPayload })
  | (Head & { type: typeof FrameType.ABORT; body: ReasonPayload })
  | (Head & { type: typeof FrameType.PING; body: Uint8Array })
  | (Head & { type: typeof FrameType.PONG; body: Uint8Array })
  | (Head & { type: typeof FrameType.PATH; body: PathPayload })
  | (Head & { type: typeof FrameType.IMAGE_END; body: ImageEndPayload })
  | (Head & { type: typeof FrameType.BUNDLE; body: Uint8Array[] })
  | (Head & { type: typeof FrameType.HISTORY_REQUEST; body: HistoryRequestPayload })
  | (Head & { type: typeof FrameType.HISTORY_BATCH; body: HistoryBatchPayload })
  | (Head & { type: typeof FrameType.HISTORY_IMAGES; body: HistoryImagesPayload });

/** A ChatError raised while decoding, with the message id when the header was readable. */
export class FrameError extends ChatError {
  readonly messageId?: string;
  constructor(code: ErrorCode, message: string, messageId?: string) {
    super(code, message);
    this.messageId = messageId;
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });
const ZERO_ID = new Uint8Array(MESSAGE_ID_BYTES);

export function newMessageId(): string {
  const bytes = new Uint8Array(MESSAGE_ID_BYTES);
  globalThis.crypto.getRandomValues(bytes);
  return toHex(bytes);
}

function idBytes(id: string | undefined): Uint8Array {
  if (id === undefined) return ZERO_ID;
  if (!/^[0-9a-f]{32}$/.test(id)) throw new ChatError('BAD_FRAME', 'message id must be 32 hex chars');
  const out = new Uint8Array(MESSAGE_ID_BYTES);
  for (let i = 0; i < MESSAGE_ID_BYTES; i++) out[i] = parseInt(id.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/**
 * A frame not yet laid out in one buffer: its header and its body, a view into the image. The relay
 * copies both straight into its envelope, so an image chunk is copied once on its way out, not
 * twice; a data channel needs one buffer (see `frameBuffer`).
 */
export interface FrameParts {
  head: Uint8Array;
  body: Uint8Array;
  byteLength: number;
}
/** An encoded frame: one buffer, or its parts. */
export type OutFrame = Uint8Array | FrameParts;

const isParts = (frame: OutFrame): frame is FrameParts => !(frame instanceof Uint8Array);

/**
 * Frames laid out for a data channel, by parts object: one image chunk goes to every direct peer in
 * step as the same parts (imageFrames.ts), so it is laid out once, not once per peer (a fresh
 * buffer costs more than its copy in a browser). Entries go with their parts.
 */
const laidOut = new WeakMap<FrameParts, Uint8Array>();

export function frameBuffer(frame: OutFrame): Uint8Array {
  if (!isParts(frame)) return frame;
  let out = laidOut.get(frame);
  if (!out) {
    out = new Uint8Array(frame.byteLength);
    writeFrame(out, 0, frame);
    laidOut.set(frame, out);
  }
  return out;
}

/** Copies `frame` into `out` at `at`. */
export function writeFrame(out: Uint8Array, at: number, frame: OutFrame): void {
  if (!isParts(frame)) return out.set(frame, at);
  out.set(frame.head, at);
  out.set(frame.body, at + frame.head.byteLength);
}

/** Encodes a frame with a binary body as parts: only the header is new memory. */
export function encodeFrameParts(type: FrameTypeCode, id: string, seq: number, body: Uint8Array): FrameParts {
  const head = encodeFrame(type, id, seq);
  const byteLength = head.byteLength + body.byteLength;
  if (byteLength > PEER_FRAME_MAX_BYTES) throw new ChatError('TOO_LARGE', `frame of ${byteLength} bytes over ${PEER_FRAME_MAX_BYTES}`);
  return { head, body, byteLength };
}

/** The frame type byte. */
export const frameTypeOf = (frame: OutFrame): number => (isParts(frame) ? frame.head[1] : frame[1]);

/** Bytes a frame takes in a bundle. */
export const bundledBytes = (frame: OutFrame): number => 4 + frame.byteLength;

/** Size of the bundle of `frames` (bytes). */
export function bundleSize(frames: readonly OutFrame[]): number {
  return FRAME_HEADER_BYTES + frames.reduce((sum, f) => sum + bundledBytes(f), 0);
}

/** Several encoded frames (not bundles) in one relayed message, in order. */
export function encodeBundle(frames: readonly OutFrame[]): Uint8Array {
  const out = new Uint8Array(bundleSize(frames));
  writeBundle(out, frames);
  return out;
}

/** Writes the bundle of `frames` into `out`, exactly bundleSize(frames) bytes. */
export function writeBundle(out: Uint8Array, frames: readonly OutFrame[]): void {
  if (frames.length < 1 || frames.length > RELAY_BUNDLE_FRAMES_MAX) throw new ChatError('BAD_FRAME', `a bundle holds 1 to ${RELAY_BUNDLE_FRAMES_MAX} frames`);
  const size = bundleSize(frames);
  if (size > RELAY_PAYLOAD_MAX_BYTES) throw new ChatError('TOO_LARGE', `bundle of ${size} bytes over ${RELAY_PAYLOAD_MAX_BYTES}`);
  if (out.byteLength !== size) throw new ChatError('INTERNAL', `a bundle of ${size} bytes in ${out.byteLength}`);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  out[0] = FRAME_VERSION;
  out[1] = FrameType.BUNDLE;
  out.fill(0, ID_OFFSET, SEQ_OFFSET);
  view.setUint32(SEQ_OFFSET, frames.length);
  let at = FRAME_HEADER_BYTES;
  for (const frame of frames) {
    if (frameTypeOf(frame) === FrameType.BUNDLE || frame.byteLength > PEER_FRAME_MAX_BYTES) throw new ChatError('BAD_FRAME', 'only single frames go in a bundle');
    view.setUint32(at, frame.byteLength);
    writeFrame(out, at + 4, frame);
    at += bundledBytes(frame);
  }
}

/** The frames of a bundle, as views into it; every length must add up exactly. */
function bundle(body: Uint8Array, count: number): Uint8Array[] {
  if (count < 1 || count > RELAY_BUNDLE_FRAMES_MAX) bad(`a bundle holds 1 to ${RELAY_BUNDLE_FRAMES_MAX} frames, not ${count}`);
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const frames: Uint8Array[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 4 > body.byteLength) bad('truncated bundle');
    const length = view.getUint32(at);
    if (length < FRAME_HEADER_BYTES || length > PEER_FRAME_MAX_BYTES || at + 4 + length > body.byteLength) bad(`bundled frame of ${length} bytes does not fit`);
    const frame = body.subarray(at + 4, at + 4 + length);
    if (frame[1] === FrameType.BUNDLE) bad('bundle inside a bundle');
    frames.push(frame);
    at += 4 + length;
  }
  if (at !== body.byteLength) bad('bytes after the last bundled frame');
  return frames;
}

/** Encodes one frame. Throws TOO_LARGE rather than emit a frame a channel would choke on. */
export function encodeFrame(type: FrameTypeCode, id: string | undefined, seq: number, payload: Uint8Array | object = ZERO_ID.subarray(0, 0)): Uint8Array {
  const body = payload instanceof Uint8Array ? payload : encoder.encode(JSON.stringify(payload));
  const size = FRAME_HEADER_BYTES + body.byteLength;
  if (size > PEER_FRAME_MAX_BYTES) throw new ChatError('TOO_LARGE', `frame of ${size} bytes over ${PEER_FRAME_MAX_BYTES}`);
  if (!Number.isInteger(seq) || seq < 0 || seq > 0xffffffff) throw new ChatError('BAD_FRAME', 'seq must be a u32');
  const out = new Uint8Array(size);
  out[0] = FRAME_VERSION;
  out[1] = type;
  out.set(idBytes(id), ID_OFFSET);
  new DataView(out.buffer).setUint32(SEQ_OFFSET, seq);
  out.set(body, FRAME_HEADER_BYTES);
  return out;
}

function bad(message: string, id?: string, code: ErrorCode = 'BAD_FRAME'): never {
  throw new FrameError(code, message, id);
}

function json(body: Uint8Array, id: string): Record<string, unknown> {
  if (body.byteLength > JSON_PAYLOAD_MAX_BYTES) bad('payload too large', id, 'TOO_LARGE');
  let value: unknown;
  try {
    value = JSON.parse(decoder.decode(body));
  } catch {
    bad('payload is not valid JSON', id);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) bad('payload must be an object', id);
  return value as Record<string, unknown>;
}

function num(obj: Record<string, unknown>, key: string, id: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const v = obj[key];
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) bad(`"${key}" must be an integer in ${min}..${max}`, id);
  return v;
}

function text(obj: Record<string, unknown>, id: string): TextPayload {
  const t = obj.text;
  if (typeof t !== 'string') bad('"text" must be a string', id);
  if (t.length > TEXT_MAX_CHARS) bad(`text over ${TEXT_MAX_CHARS} characters`, id, 'TEXT_TOO_LONG');
  if (obj.earlier !== undefined && obj.earlier !== true) bad('"earlier" must be true when present', id);
  return { sentAt: num(obj, 'sentAt', id), text: t, base: num(obj, 'base', id, 0, 0xffffffff), sig: signature(obj, id), ...(obj.earlier === true && { earlier: true as const }) };
}

function signature(obj: Record<string, unknown>, id: string): string {
  if (!isSignatureText(obj.sig)) bad('"sig" must be a signature (86 base64url chars)', id, 'BAD_SIGNATURE');
  return obj.sig;
}

function origin(value: unknown, id: string): ImageOrigin | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null) bad('"origin" must be an object', id);
  const { author, device } = value as Record<string, unknown>;
  if (typeof author !== 'string' || author.length < 1 || author.length > 64) bad('"origin.author" must be a user name', id);
  if (typeof device !== 'string' || !/^[A-Za-z0-9_-]{43}$/.test(device)) bad('"origin.device" must be a device key', id, 'BAD_KEY');
  return { author, device };
}

function imageStart(obj: Record<string, unknown>, id: string): ImageStartPayload {
  const size = num(obj, 'size', id, 1);
  const chunks = num(obj, 'chunks', id, 1);
  if (chunks !== Math.ceil(size / CHUNK_BYTES)) bad('"chunks" does not match "size"', id);
  const mime = obj.mime;
  if (typeof mime !== 'string' || !(IMAGE_MIME_TYPES as readonly string[]).includes(mime)) bad('unsupported image type', id, 'BAD_IMAGE');
  const name = obj.name;
  if (typeof name !== 'string' || name.length > IMAGE_NAME_MAX_CHARS * 2) bad('"name" must be a short string', id);
  const from = origin(obj.origin, id);
  return { sentAt: num(obj, 'sentAt', id), name, mime: mime as ImageMime, size, chunks, ...(from ? { origin: from } : {}) };
}

function ids(value: unknown, id: string, max: number): string[] {
  if (!Array.isArray(value) || value.length > max) bad(`a list of at most ${max} message ids expected`, id, 'TOO_LARGE');
  for (const v of value) if (typeof v !== 'string' || !/^[0-9a-f]{32}$/.test(v)) bad('message ids are 32 hex chars', id);
  return value as string[];
}

function reason(obj: Record<string, unknown>, id: string): ReasonPayload {
  const code = isErrorCode(obj.code) ? obj.code : 'INTERNAL';
  const message = typeof obj.message === 'string' ? obj.message.slice(0, 500) : '';
  return { code, message };
}

/** Decodes and validates one frame. Throws FrameError (a ChatError) on anything malformed. */
export function decodeFrame(bytes: Uint8Array): Frame {
  const max = bytes[1] === FrameType.BUNDLE ? RELAY_PAYLOAD_MAX_BYTES : PEER_FRAME_MAX_BYTES;
  if (bytes.byteLength > max) bad(`frame of ${bytes.byteLength} bytes over ${max}`, undefined, 'TOO_LARGE');
  if (bytes.byteLength < FRAME_HEADER_BYTES) bad(`truncated frame (${bytes.byteLength} bytes)`);
  if (bytes[0] !== FRAME_VERSION) bad(`unsupported frame version ${bytes[0]}`, undefined, 'UNSUPPORTED_VERSION');
  const id = toHex(bytes.subarray(ID_OFFSET, SEQ_OFFSET));
  const seq = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(SEQ_OFFSET);
  const body = bytes.subarray(FRAME_HEADER_BYTES);
  const type = bytes[1];
  switch (type) {
    case FrameType.TEXT:
      return { type, id, seq, body: text(json(body, id), id) };
    case FrameType.IMAGE_START:
      return { type, id, seq, body: imageStart(json(body, id), id) };
    case FrameType.IMAGE_CHUNK:
      if (body.byteLength === 0 || body.byteLength > CHUNK_BYTES) bad(`chunk of ${body.byteLength} bytes`, id);
      return { type, id, seq, body };
    case FrameType.ACK:
    case FrameType.CHUNK_ACK:
    case FrameType.TYPING:
    case FrameType.RECEIPT:
      if (type !== FrameType.ACK && body.byteLength !== 0) bad('this frame carries no payload', id);
      return { type, id, seq };
    case FrameType.REJECT:
    case FrameType.ABORT:
      return { type, id, seq, body: reason(json(body, id), id) };
    case FrameType.PING:
    case FrameType.PONG:
      if (body.byteLength > 64) bad('ping payload too large', id);
      return { type, id, seq, body };
    case FrameType.IMAGE_END: {
      const obj = json(body, id);
      if (!isSha256Hex(obj.sha256)) bad('"sha256" must be 64 hex chars', id);
      return { type, id, seq, body: { sha256: obj.sha256, sig: signature(obj, id) } };
    }
    case FrameType.PATH: {
      const obj = json(body, id);
      if (typeof obj.deadAttempt !== 'string' || obj.deadAttempt.length > 64) bad('"deadAttempt" must be a string', id);
      return { type, id, seq, body: { deadAttempt: obj.deadAttempt } };
    }
    case FrameType.BUNDLE:
      return { type, id, seq, body: bundle(body, seq) };
    case FrameType.HISTORY_REQUEST: {
      const obj = json(body, id);
      return { type, id, seq, body: { have: ids(obj.have, id, HISTORY_SYNC_MESSAGES_MAX), since: num(obj, 'since', id) } };
    }
    case FrameType.HISTORY_IMAGES:
      return { type, id, seq, body: { ids: ids(json(body, id).ids, id, HISTORY_SYNC_MESSAGES_MAX) } };
    case FrameType.HISTORY_BATCH: {
      const obj = json(body, id);
      if (!Array.isArray(obj.records) || obj.records.length > HISTORY_BATCH_RECORDS_MAX) bad(`"records" must hold at most ${HISTORY_BATCH_RECORDS_MAX} records`, id, 'TOO_LARGE');
      if (typeof obj.last !== 'boolean') bad('"last" must be a boolean', id);
      let records: HistoryRecord[];
      try {
        records = obj.records.map(parseHistoryRecord);
      } catch (err) {
        const e = err instanceof ChatError ? err : new ChatError('BAD_FRAME', String(err));
        bad(e.message, id, e.code);
      }
      return { type, id, seq, body: { records, last: obj.last } };
    }
    default:
      bad(`unknown frame type ${type}`, id, 'UNKNOWN_TYPE');
  }
}
