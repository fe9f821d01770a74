// Messages sent to one peer and not yet acknowledged. After a path switch they are all re-sent,
// in order, on the new path; the receiver drops duplicates. Bounded by OUTBOX_* limits: the
// oldest entries are given up first, and the caller is told so it can report them.

import { OUTBOX_MAX_BYTES, OUTBOX_MAX_MESSAGES } from '../../shared/limits';
import type { ImageStartPayload } from '../../shared/frames';
import type { ImageSeal } from './imageSeal';
import type { ImageFrames } from './imageFrames';

export interface OutgoingText {
  kind: 'text';
  id: string;
  seq: number;
  sentAt: number;
  text: string;
  /** The author's signature over the text's content record (base64url). */
  sig: string;
  /** Sent to a peer that arrived after it was said (recentTexts.ts). */
  earlier?: true;
}
export interface OutgoingImage {
  kind: 'image';
  id: string;
  start: ImageStartPayload;
  bytes: Uint8Array;
  /** Digest and signature for IMAGE_END. */
  seal: ImageSeal;
  /** Encoded once for every peer (see imageFrames.ts). */
  frames: ImageFrames;
}
/** A control message that must arrive (history requests and listings): sent like a text, acknowledged by id. */
export interface OutgoingFrame {
  kind: 'frame';
  id: string;
  frame: Uint8Array;
}
export type OutgoingMessage = OutgoingText | OutgoingImage | OutgoingFrame;

export class Outbox {
  private entries = new Map<string, OutgoingMessage>();
  private imageBytes = 0;

  constructor(
    private readonly maxMessages = OUTBOX_MAX_MESSAGES,
    private readonly maxBytes = OUTBOX_MAX_BYTES,
  ) {}

  /** Adds a message; returns the entries given up to stay within the bounds. */
  add(message: OutgoingMessage): OutgoingMessage[] {
    this.entries.set(message.id, message);
    if (message.kind === 'image') this.imageBytes += message.bytes.byteLength;
    const dropped: OutgoingMessage[] = [];
    for (const old of this.entries.values()) {
      if (this.entries.size <= this.maxMessages && this.imageBytes <= this.maxBytes) break;
      if (old === message) continue;
      this.remove(old.id);
      dropped.push(old);
    }
    return dropped;
  }

  remove(id: string): OutgoingMessage | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    this.entries.delete(id);
    if (entry.kind === 'image') this.imageBytes -= entry.bytes.byteLength;
    return entry;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  /** Unacknowledged messages in send order. */
  all(): OutgoingMessage[] {
    return [...this.entries.values()];
  }

  /** Lowest unacknowledged text sequence number, or `fallback` when every text was acknowledged. */
  base(fallback: number): number {
    for (const entry of this.entries.values()) if (entry.kind === 'text') return entry.seq;
    return fallback;
  }

  get size(): number {
    return this.entries.size;
  }
}
