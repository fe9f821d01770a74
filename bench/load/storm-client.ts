// The client side of the restart storm: when its node is killed, every socket reconnects by itself
// as the signaling client does (shared/reconnectBackoff.ts: backoff from 250 ms doubling to 10 s,
// full jitter, reset by a welcome) and resumes with its session token and peer secret.
//
// "In everyone's list" is counted, not parsed (a welcome of 10,000 peers is ~1 MB): the peers a
// socket knows are those of its welcome plus those of each presence batch since, minus its leaves.
// A socket is complete when it knows every other client.
//
// Each socket resumes naming the room it held when the storm was armed (the digest the signaling
// client sends, made by roomView.ts from one parsed view of the room per process). A partial
// welcome replaces the buckets it lists: the count is the peers held in the other buckets plus the
// peers it brings.

import WebSocket from 'ws';
import { isFatalCloseCode, isOutdatedCloseCode } from '../../shared/errors';
import { encodeMessage, type KnownRoom } from '../../shared/protocol';
import { deviceAuth, type DeviceKeyPair } from '../../shared/deviceKey';
import { reconnectDelayMs } from '../../shared/reconnectBackoff';
import { epochNow } from './ipc';

const PEER_FIELD = Buffer.from('"peerId":"');
const WELCOME_PREFIX = Buffer.from('{"type":"welcome"');
const PRESENCE_PREFIX = Buffer.from('{"type":"presence"');
const NO_LEAVES = Buffer.from('"left":[]');
const PARTIAL_FIELD = Buffer.from('"partial":');

/** What a socket needs to resume its peer. */
export interface Identity {
  wsUrl: string;
  token: string;
  peerSecret: string;
  device: DeviceKeyPair;
  /** The room it held when the storm was armed: its digest, and its peers per bucket of that digest. */
  room?: { known: KnownRoom; perBucket: Int32Array };
}

/** The device proof of each token: deterministic, and signing in pure JS at every reconnect made these processes, not the server, the busy ones. */
const proofs = new Map<string, ReturnType<typeof deviceAuth>>();

export function authMessage(id: Identity): string {
  let proof = proofs.get(id.token);
  if (!proof) proofs.set(id.token, (proof = deviceAuth(id.device, id.token)));
  return encodeMessage({ type: 'auth', token: id.token, peerSecret: id.peerSecret, ...proof, ...(id.room ? { known: id.room.known } : {}) });
}

/** The peers a welcome leaves a socket knowing: with `partial`, those of its other buckets plus those sent. */
function knownAfterWelcome(data: Buffer, room: Identity['room']): number {
  const sent = countPeers(data) - 1; // its own entry is in the welcome too
  const at = data.indexOf(PARTIAL_FIELD);
  if (!room || at < 0) return sent;
  const partial = JSON.parse(data.subarray(at + PARTIAL_FIELD.length, data.indexOf('}', at) + 1).toString('utf8')) as { changed: number[] };
  let kept = 0;
  for (const n of room.perBucket) kept += n;
  for (const b of partial.changed) kept -= room.perBucket[b];
  return kept + sent;
}

export function startsWith(data: Buffer, prefix: Buffer): boolean {
  return data.length >= prefix.length && data.subarray(0, prefix.length).equals(prefix);
}

function countPeers(data: Buffer): number {
  let n = 0;
  for (let at = data.indexOf(PEER_FIELD); at >= 0; at = data.indexOf(PEER_FIELD, at + PEER_FIELD.length)) n++;
  return n;
}

export interface StormOutcome {
  /** Epoch ms of each socket's welcome after the kill (NaN: never back). */
  backAt: number[];
  /** Epoch ms at which each socket knew every other client (NaN: never). */
  completeAt: number[];
  /** Connection attempts that ended before a welcome (refused, timed out, closed by the server). */
  failedAttempts: number;
  /** Welcomes after the kill: whole rooms, partial ones, and their bytes in all. */
  welcomes: { whole: number; partial: number; bytes: number };
  /** How the attempts that failed, and the sockets lost again after their welcome, were closed: count by close code. */
  closeCodes: Record<number, number>;
  /** Sockets cut again after they were back. */
  lostAgain: number;
  /** Sockets the server refused for good (a fatal close code), and the first such code. */
  fatal: number;
  firstFatalCode: number | undefined;
}

export class Storm {
  private readonly backAt: Float64Array;
  private readonly completeAt: Float64Array;
  private readonly known: Int32Array;
  private readonly attempts: Int32Array;
  private readonly timers = new Set<NodeJS.Timeout>();
  private settled = 0;
  private failedAttempts = 0;
  private readonly welcomes = { whole: 0, partial: 0, bytes: 0 };
  private lostAgain = 0;
  private readonly closeCodes: Record<number, number> = {};
  private fatal = 0;
  private firstFatalCode: number | undefined;
  private stopped = false;

  /**
   * @param expect the peers each socket must know to be complete (every other client).
   * @param onSocket called with each welcomed socket (the process's table of sockets).
   * @param onText every text message of a welcomed socket, after the storm's own counting.
   */
  constructor(
    private readonly identities: readonly Identity[],
    private readonly expect: number,
    private readonly onSocket: (index: number, ws: WebSocket) => void,
    private readonly onText: (index: number, data: Buffer) => void,
    private readonly onSettled: (outcome: StormOutcome) => void,
    /** Sockets still open when the storm was armed (those cut before do not take part). */
    private readonly taking = identities.length,
  ) {
    const n = identities.length;
    this.backAt = new Float64Array(n).fill(NaN);
    this.completeAt = new Float64Array(n).fill(NaN);
    this.known = new Int32Array(n);
    this.attempts = new Int32Array(n);
  }

  /** A socket that was online is gone: it reconnects after the backoff. */
  lost(index: number): void {
    if (this.stopped) return;
    if (!Number.isNaN(this.completeAt[index])) this.settled--;
    this.backAt[index] = NaN;
    this.completeAt[index] = NaN;
    this.later(index);
  }

  outcome(): StormOutcome {
    const { failedAttempts, closeCodes, lostAgain, fatal, firstFatalCode } = this;
    return { backAt: Array.from(this.backAt), completeAt: Array.from(this.completeAt), failedAttempts, welcomes: { ...this.welcomes }, closeCodes, lostAgain, fatal, firstFatalCode };
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private later(index: number): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.stopped) this.connect(index);
    }, reconnectDelayMs(this.attempts[index]++));
    this.timers.add(timer);
  }

  private connect(index: number): void {
    const id = this.identities[index];
    const ws = new WebSocket(id.wsUrl, { perMessageDeflate: false, skipUTF8Validation: true });
    let welcomed = false;
    ws.on('error', () => {}); // a close follows, which decides
    ws.on('open', () => ws.send(authMessage(id)));
    ws.on('close', (code: number) => {
      if (this.stopped) return;
      this.closeCodes[code] = (this.closeCodes[code] ?? 0) + 1;
      if (welcomed) {
        this.lostAgain++;
        return this.lost(index);
      }
      if (isFatalCloseCode(code) || isOutdatedCloseCode(code)) {
        this.firstFatalCode ??= code;
        this.fatal++;
        return this.settle(index);
      }
      this.failedAttempts++;
      this.later(index);
    });
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) return;
      if (!welcomed) {
        if (!startsWith(data, WELCOME_PREFIX)) return; // an error before the close
        welcomed = true;
        this.attempts[index] = 0;
        this.backAt[index] = epochNow();
        this.known[index] = knownAfterWelcome(data, id.room);
        this.welcomes[data.includes(PARTIAL_FIELD) ? 'partial' : 'whole']++;
        this.welcomes.bytes += data.length;
        this.onSocket(index, ws);
      } else if (startsWith(data, PRESENCE_PREFIX)) {
        this.known[index] += countPeers(data);
        if (!data.includes(NO_LEAVES)) this.known[index] -= (JSON.parse(data.toString('utf8')) as { left: unknown[] }).left.length;
        this.onText(index, data);
      } else {
        this.onText(index, data);
      }
      if (Number.isNaN(this.completeAt[index]) && this.known[index] >= this.expect) {
        this.completeAt[index] = epochNow();
        this.settle(index);
      }
    });
  }

  private settle(index: number): void {
    if (++this.settled === this.taking) this.onSettled(this.outcome());
  }
}
