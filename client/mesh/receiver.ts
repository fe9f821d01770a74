// Everything that arrives from one sender: texts delivered exactly once and in send order,
// images reassembled and verified. Problems are answered with REJECT and reported, never thrown.

import { ChatError, type ErrorCode } from '../../shared/errors';
import { CHUNK_ACK_EVERY, INCOMING_TRANSFERS_MAX, INCOMING_TRANSFER_IDLE_MS, OUTBOX_MAX_MESSAGES, type ImageMime } from '../../shared/limits';
import { encodeFrame, FrameType, type Frame, type ImageOrigin, type TextPayload } from '../../shared/frames';
import type { Sha256Hasher } from '../../shared/sha256';
import { DedupWindow } from './dedup';
import { Reassembly, type CompletedImage } from './reassembly';

export type Incoming =
  | { kind: 'text'; id: string; sentAt: number; text: string; sig: string; earlier?: true }
  | { kind: 'image'; id: string; sentAt: number; name: string; mime: ImageMime; bytes: Uint8Array; sha256: string; sig: string; origin?: ImageOrigin };

interface PendingDelivery {
  message: Incoming | null;
  /** An image whose native verification is still running. */
  waiting: boolean;
}

export interface ReceiverDeps {
  maxImageBytes(): number;
  deliver(message: Incoming): void;
  /**
   * True when the sender's device signed `message` (its content record, with the sender as author).
   * Messages passed on from history (`origin` set) are not asked: their author is someone else.
   */
  authentic(message: Incoming): boolean;
  /** Queues a control frame (ACK/REJECT) back to the sender. */
  sendControl(frame: Uint8Array): void;
  progress(p: { messageId: string; bytes: number; total: number; bytesPerSecond: number; done: boolean }): void;
  error(e: { code: ErrorCode; message: string; messageId?: string }): void;
  idleMs?: number;
  /** Verify images with WebCrypto at the end (see nativeSha256Available) instead of hashing each chunk in JS. */
  nativeHash?: boolean;
  /** An incremental native hasher (MeshOptions.sha256): each chunk is hashed as it arrives; preferred over both. */
  sha256?: () => Sha256Hasher;
}

export class Receiver {
  private readonly dedup = new DedupWindow();
  /** Ids answered with REJECT: their remaining chunks are ignored quietly. */
  private readonly rejected = new DedupWindow(1000);
  private expectedSeq: number | null = null;
  private readonly held = new Map<number, { id: string; body: TextPayload }>();
  private readonly transfers = new Map<string, Reassembly>();
  /** Whether each transfer is being brought by the relay (true) or the direct link, since its last IMAGE_START. */
  private readonly transferPaths = new WeakMap<Reassembly, boolean>();
  private sweepTimer: ReturnType<typeof setInterval> | null = null;
  /** Images complete and being hashed natively: their duplicate frames are ignored meanwhile. */
  private readonly verifying = new Set<string>();
  /** Bumped by close(): verifications started before it are dropped (the receiver may be reused). */
  private generation = 0;
  /**
   * Deliveries waiting for an earlier image's native verification, so messages still come out in
   * the order they completed here (a text right behind an image does not overtake it).
   */
  private readonly pendingDeliveries: PendingDelivery[] = [];

  constructor(private readonly deps: ReceiverDeps) {}

  /** `relayed`: it came through the server, where the sender keeps no window (no CHUNK_ACK needed). */
  handle(frame: Frame, relayed = false): void {
    switch (frame.type) {
      case FrameType.TEXT:
        return this.onText(frame.id, frame.seq, frame.body);
      case FrameType.IMAGE_START:
        return this.onImageStart(frame.id, frame.body, relayed);
      case FrameType.IMAGE_CHUNK:
        return this.onChunk(frame.id, frame.seq, frame.body, relayed);
      case FrameType.IMAGE_END:
        return this.onImageEnd(frame.id, frame.body.sha256, frame.body.sig, relayed);
      case FrameType.ABORT:
        if (this.transfers.delete(frame.id)) this.deps.error({ code: 'TRANSFER_ABORTED', message: `sender aborted: ${frame.body.message}`, messageId: frame.id });
        return;
      default:
        return;
    }
  }

  /** Rejects a message: tells the sender (so it stops re-sending) and reports locally. */
  reject(id: string, code: ErrorCode, message: string): void {
    this.transfers.delete(id);
    this.rejected.add(id);
    this.deps.sendControl(encodeFrame(FrameType.REJECT, id, 0, { code, message }));
    this.deps.error({ code, message, messageId: id });
  }

  /** The sender left: drop partial images; texts held for a gap that will not fill now are delivered. */
  close(): void {
    this.generation++;
    this.verifying.clear();
    for (const p of this.pendingDeliveries.splice(0)) if (p.message) this.deps.deliver(p.message);
    this.transfers.clear();
    for (const seq of [...this.held.keys()].sort((a, b) => a - b)) {
      const h = this.held.get(seq)!;
      this.deliverText(h.id, h.body);
    }
    this.held.clear();
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    this.sweepTimer = null;
  }

  private ack(id: string): void {
    this.deps.sendControl(encodeFrame(FrameType.ACK, id, 0));
  }

  private onText(id: string, seq: number, body: TextPayload): void {
    if (this.dedup.has(id)) return this.ack(id);
    if (this.expectedSeq === null || body.base > this.expectedSeq) this.advanceTo(body.base);
    const expected = this.expectedSeq as number;
    if (seq < expected) return this.ack(id);
    if (seq > expected) {
      // A gap: an earlier text is still on its way (e.g. re-sent after a path switch).
      if (this.held.size >= OUTBOX_MAX_MESSAGES) return; // not acked: the sender re-sends it later
      this.held.set(seq, { id, body });
      return this.ack(id);
    }
    this.deliverText(id, body);
    this.ack(id);
    this.expectedSeq = seq + 1;
    this.drain();
  }

  /** The sender no longer waits for anything below `base`: deliver what was held before it, then move on. */
  private advanceTo(base: number): void {
    const earlier = [...this.held.keys()].filter((s) => s < base).sort((a, b) => a - b);
    for (const s of earlier) {
      const h = this.held.get(s)!;
      this.held.delete(s);
      this.deliverText(h.id, h.body);
    }
    this.expectedSeq = base;
    this.drain();
  }

  private drain(): void {
    let next = this.held.get(this.expectedSeq as number);
    while (next) {
      this.held.delete(this.expectedSeq as number);
      this.deliverText(next.id, next.body);
      this.expectedSeq = (this.expectedSeq as number) + 1;
      next = this.held.get(this.expectedSeq);
    }
  }

  private deliverText(id: string, body: TextPayload): void {
    if (this.dedup.has(id)) return;
    this.dedup.add(id);
    this.inOrder(this.checked({ kind: 'text', id, sentAt: body.sentAt, text: body.text, sig: body.sig, ...(body.earlier && { earlier: body.earlier }) }));
  }

  /** `message`, or null once refused because its signature does not hold (never shown). */
  private checked(message: Incoming): Incoming | null {
    if ((message.kind === 'image' && message.origin) || this.deps.authentic(message)) return message;
    this.reject(message.id, 'BAD_SIGNATURE', `the ${message.kind} is not signed by its sender's device`);
    return null;
  }

  private onImageStart(id: string, start: Reassembly['start'], relayed: boolean): void {
    if (this.dedup.has(id)) return this.ack(id);
    if (this.verifying.has(id)) return; // a re-send of the image being verified: its ack follows
    if (start.size > this.deps.maxImageBytes()) {
      return this.reject(id, 'IMAGE_TOO_LARGE', `image of ${start.size} bytes over ${this.deps.maxImageBytes()}`);
    }
    // A start for a known id means the sender restarted the image (after a path switch).
    if (!this.transfers.has(id) && this.transfers.size >= INCOMING_TRANSFERS_MAX) {
      return this.reject(id, 'BUSY', `more than ${INCOMING_TRANSFERS_MAX} incoming images`);
    }
    const hasher = this.deps.sha256?.();
    const transfer = new Reassembly(start, Date.now(), !hasher && this.deps.nativeHash, hasher);
    this.transfers.set(id, transfer);
    this.transferPaths.set(transfer, relayed);
    this.ensureSweep();
  }

  private onChunk(id: string, index: number, chunk: Uint8Array, relayed: boolean): void {
    const transfer = this.transfers.get(id);
    if (!transfer) {
      if (!this.dedup.has(id) && !this.rejected.has(id) && !this.verifying.has(id)) {
        this.deps.error({ code: 'BAD_FRAME', message: `chunk ${index} of an unknown image`, messageId: id });
      }
      return;
    }
    // After a path switch the sender starts the image again on the new path while the old one may
    // still deliver what it had in flight: a chunk already in (from either path; the final hash
    // covers its bytes), or one ahead on the path given up, is left for the current path to bring.
    // On the current path, which is ordered, a gap is an error.
    if (index < transfer.expectedIndex) return;
    if (index > transfer.expectedIndex && relayed !== this.transferPaths.get(transfer)) return;
    const now = Date.now();
    try {
      transfer.add(index, chunk, now);
    } catch (err) {
      return this.rejectWith(id, err);
    }
    // Cumulative: lets the sender keep a bounded window in flight (DIRECT_WINDOW_BYTES).
    const got = index + 1;
    // CHUNK_ACK feeds the direct-link window; an image on the relay has none (the ACK at the end remains).
    if (!relayed && (got % CHUNK_ACK_EVERY === 0 || got === transfer.start.chunks)) this.deps.sendControl(encodeFrame(FrameType.CHUNK_ACK, id, got));
    const seconds = Math.max((now - transfer.startedAt) / 1000, 0.001);
    this.deps.progress({ messageId: id, bytes: transfer.received, total: transfer.start.size, bytesPerSecond: transfer.received / seconds, done: false });
  }

  private onImageEnd(id: string, sha256: string, sig: string, relayed: boolean): void {
    const transfer = this.transfers.get(id);
    if (!transfer) {
      if (this.dedup.has(id)) this.ack(id); // a re-sent image we already have
      else if (!this.rejected.has(id) && !this.verifying.has(id)) this.deps.error({ code: 'BAD_FRAME', message: 'end of an unknown image', messageId: id });
      return;
    }
    // The end on the path given up, before the current path brought every chunk: its own end follows.
    if (!transfer.complete && relayed !== this.transferPaths.get(transfer)) return;
    let done;
    try {
      done = transfer.verify(sha256);
    } catch (err) {
      return this.rejectWith(id, err);
    }
    if (!(done instanceof Promise)) return this.inOrder(this.completeImage(id, transfer, sha256, sig, done));
    this.transfers.delete(id);
    this.verifying.add(id);
    const slot: PendingDelivery = { message: null, waiting: true };
    this.pendingDeliveries.push(slot);
    const generation = this.generation;
    const settle = (complete: () => void) => {
      if (generation !== this.generation || !this.verifying.delete(id)) return;
      slot.waiting = false;
      complete();
      this.flushDeliveries();
    };
    done.then(
      (image) => settle(() => (slot.message = this.completeImage(id, transfer, sha256, sig, image))),
      (err: unknown) => settle(() => this.rejectWith(id, err)),
    );
  }

  /** Delivers now, or after the images still being verified ahead of it. */
  private inOrder(message: Incoming | null): void {
    if (!message) return;
    if (this.pendingDeliveries.length === 0) return this.deps.deliver(message);
    this.pendingDeliveries.push({ message, waiting: false });
  }

  private flushDeliveries(): void {
    while (this.pendingDeliveries.length > 0 && !this.pendingDeliveries[0].waiting) {
      const { message } = this.pendingDeliveries.shift()!;
      if (message) this.deps.deliver(message);
    }
  }

  /** Marks a verified image received (progress, dedup, ack) and returns it for delivery, or null when its signature fails. */
  private completeImage(id: string, transfer: Reassembly, sha256: string, sig: string, done: CompletedImage): Incoming | null {
    const { size, name, sentAt, origin } = transfer.start;
    const seconds = Math.max((Date.now() - transfer.startedAt) / 1000, 0.001);
    this.deps.progress({ messageId: id, bytes: size, total: size, bytesPerSecond: size / seconds, done: true });
    this.transfers.delete(id);
    this.dedup.add(id);
    const image: Incoming = { kind: 'image', id, sentAt, name, mime: done.mime, bytes: done.bytes, sha256, sig, ...(origin ? { origin } : {}) };
    const message = this.checked(image);
    if (message) this.ack(id);
    return message;
  }

  private rejectWith(id: string, err: unknown): void {
    const e = err instanceof ChatError ? err : new ChatError('INTERNAL', String(err));
    this.reject(id, e.code, e.message);
  }

  private ensureSweep(): void {
    if (this.sweepTimer) return;
    const idleMs = this.deps.idleMs ?? INCOMING_TRANSFER_IDLE_MS;
    this.sweepTimer = setInterval(() => {
      const now = Date.now();
      for (const [id, t] of this.transfers) {
        if (now - t.lastChunkAt > idleMs) {
          this.transfers.delete(id);
          this.deps.error({ code: 'TRANSFER_ABORTED', message: 'image stalled', messageId: id });
        }
      }
      if (this.transfers.size === 0 && this.sweepTimer) {
        clearInterval(this.sweepTimer);
        this.sweepTimer = null;
      }
    }, Math.max(idleMs / 4, 50));
  }
}
