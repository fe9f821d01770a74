// What the room bench's peers reported (bench/roomWorker.ts events), kept as it arrives, and the
// figures computed from it. Times are the host's wall clock in ms, stamped where things happened.

import type { RoomEvent } from './roomWorker';

/** A bench peer's username (`room<index>`) and back. */
export const roomUsername = (index: number) => `room${index}`;
export const roomIndexOf = (username: string) => Number(username.slice('room'.length));

type Extracted<K extends RoomEvent['k']> = Extract<RoomEvent, { k: K }>;

/** A link that can carry messages (the pair's path is set up). */
export const carries = (link: string | undefined) => link === 'relay' || link === 'direct';

export const percentile = (xs: number[], p: number): number => {
  if (xs.length === 0) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

export interface Spread {
  count: number;
  p50: number;
  p99: number;
  max: number;
}
export const spread = (xs: number[]): Spread => ({ count: xs.length, p50: percentile(xs, 50), p99: percentile(xs, 99), max: xs.length ? Math.max(...xs) : NaN });

export class RoomState {
  readonly joinedAt: number[];
  readonly onlineAt: number[];
  readonly allSeenAt: number[];
  /** Join texts sent: each newcomer's to the peers it listed when online. */
  joinTextsSent = 0;
  /** links[i].get(j): i's link to j now. */
  readonly links: Map<number, string>[];
  readonly linkEvents: Extracted<'link'>[] = [];
  /** Ordered pairs whose link carries now (as reported so far). */
  carrying = 0;
  lastLinkChangeAt = 0;
  readonly pcsOpen: number[];
  readonly pcsMax: number[];
  readonly pcsMade: number[];
  readonly texts: Extracted<'text'>[] = [];
  readonly images: Extracted<'image'>[] = [];
  readonly imagesSent = new Map<string, Extracted<'image-sent'>>();
  readonly errors = new Map<string, number>();
  /** The first few messages of each error code (what went wrong, for the report). */
  readonly errorSamples = new Map<string, string[]>();

  constructor(readonly size: number) {
    const fill = (v: number) => Array.from({ length: size }, () => v);
    this.joinedAt = fill(NaN);
    this.onlineAt = fill(NaN);
    this.allSeenAt = fill(NaN);
    this.links = Array.from({ length: size }, () => new Map());
    this.pcsOpen = fill(0);
    this.pcsMax = fill(0);
    this.pcsMade = fill(0);
  }

  add(e: RoomEvent): void {
    switch (e.k) {
      case 'joined':
        this.joinedAt[e.index] = e.at;
        return;
      case 'online':
        this.onlineAt[e.index] = e.at;
        this.joinTextsSent += e.listed;
        return;
      case 'all-seen':
        this.allSeenAt[e.index] = e.at;
        return;
      case 'link': {
        const before = this.links[e.index].get(e.peer);
        this.carrying += Number(carries(e.link)) - Number(carries(before));
        this.links[e.index].set(e.peer, e.link);
        this.linkEvents.push(e);
        this.lastLinkChangeAt = Math.max(this.lastLinkChangeAt, e.at);
        return;
      }
      case 'pcs':
        this.pcsOpen[e.index] = e.open;
        this.pcsMax[e.index] = Math.max(this.pcsMax[e.index], e.open);
        this.pcsMade[e.index] = Math.max(this.pcsMade[e.index], e.made);
        return;
      case 'text':
        this.texts.push(e);
        return;
      case 'image':
        this.images.push(e);
        return;
      case 'image-sent':
        this.imagesSent.set(e.run, e);
        return;
      case 'error':
        this.errors.set(e.code, (this.errors.get(e.code) ?? 0) + 1);
        if ((this.errorSamples.get(e.code)?.length ?? 0) < 3) this.errorSamples.set(e.code, [...(this.errorSamples.get(e.code) ?? []), `peer ${e.index}: ${e.message}`]);
        return;
    }
  }

  get orderedPairs(): number {
    return this.size * (this.size - 1);
  }

  allJoined = () => this.joinedAt.every((t) => !Number.isNaN(t));
  allSeen = () => this.allSeenAt.every((t) => !Number.isNaN(t));
  allCarrying = () => this.carrying === this.orderedPairs;
  textsOf = (run: string) => this.texts.filter((t) => t.run === run);
  imagesOf = (run: string) => this.images.filter((t) => t.run === run);

  /** The first moment every ordered pair's link carried at once (the link events replayed in time order), or NaN. */
  allCarryingAt(): number {
    const state = Array.from({ length: this.size }, () => new Map<number, string>());
    let carrying = 0;
    for (const e of [...this.linkEvents].sort((a, b) => a.at - b.at)) {
      carrying += Number(carries(e.link)) - Number(carries(state[e.index].get(e.peer)));
      state[e.index].set(e.peer, e.link);
      if (carrying === this.orderedPairs) return e.at;
    }
    return NaN;
  }

  /** First time i's link to j carried, by "i,j". */
  private firstCarry(): Map<string, number> {
    const first = new Map<string, number>();
    for (const e of this.linkEvents) {
      if (!carries(e.link)) continue;
      const key = `${e.index},${e.peer}`;
      if (!(first.get(key)! <= e.at)) first.set(key, e.at);
    }
    return first;
  }

  /**
   * Per pair, from the later one's join: how long until both its links carried (Infinity: never).
   * This is "can every peer carry a message to every other, in both directions, this long after joining".
   */
  pairReadyAfterJoin(): number[] {
    const first = this.firstCarry();
    const out: number[] = [];
    for (let a = 0; a < this.size; a++) {
      for (let b = a + 1; b < this.size; b++) {
        const later = this.joinedAt[a] > this.joinedAt[b] ? a : b;
        const ready = Math.max(first.get(`${a},${b}`) ?? Infinity, first.get(`${b},${a}`) ?? Infinity);
        out.push(ready - this.joinedAt[later]);
      }
    }
    return out;
  }

  /** The final link of each unordered pair: both direct, both relay, or anything else (as "a/b"). */
  pairKinds(): Map<string, number> {
    const kinds = new Map<string, number>();
    for (let a = 0; a < this.size; a++) {
      for (let b = a + 1; b < this.size; b++) {
        const [x, y] = [this.links[a].get(b) ?? 'none', this.links[b].get(a) ?? 'none'].sort();
        const kind = x === y ? x : `${x}/${y}`;
        kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      }
    }
    return kinds;
  }
}
