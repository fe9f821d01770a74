// Which account owns a device key: what a receiver needs to verify a message passed on by someone
// other than its author. Peers online are known from presence; other keys are asked of the server
// ('keys' message), one request in flight at a time (the server answers in order of arrival, and
// an answer names no request), at most DEVICE_KEYS_LOOKUP_MAX keys each, answers cached (bounded).

import { DEVICE_KEYS_LOOKUP_MAX, KEY_LOOKUP_TIMEOUT_MS, KNOWN_KEYS_MAX } from '../../shared/limits';
import type { KeyOwner, PeerInfo } from '../../shared/protocol';

export interface KeyDirectoryDeps {
  /** Sends a 'keys' request; false when the socket is not online (the lookup then fails at once). */
  ask(keys: string[]): boolean;
  /** Peers online now. */
  online(): Iterable<PeerInfo>;
  timeoutMs?: number;
}

interface Lookup {
  keys: string[];
  resolve(owners: KeyOwner[] | null): void;
}

export class KeyDirectory {
  /** Owners learnt from the server (null: bound to no account), oldest first. */
  private readonly known = new Map<string, KeyOwner | null>();
  private readonly queue: Lookup[] = [];
  private inFlight: { lookup: Lookup; timer: ReturnType<typeof setTimeout> } | null = null;
  /**
   * Answers still owed to requests given up on (timed out). The server answers in order, so the
   * next answers are theirs, not the current request's: taken as its own, a late answer would have
   * marked the current request's keys as bound to nobody. An answer that never comes costs the
   * request after it a timeout, and a failed lookup is not remembered.
   */
  private owed = 0;

  constructor(private readonly deps: KeyDirectoryDeps) {}

  /** The owner of `deviceKey` if known without asking (null: known to be bound to nobody). */
  cached(deviceKey: string): KeyOwner | null | undefined {
    for (const peer of this.deps.online()) if (peer.deviceKey === deviceKey) return peer;
    return this.known.get(deviceKey);
  }

  /**
   * The owner of each key: null when it is bound to nobody, undefined when the server could not be
   * asked in time (offline, or slower than KEY_LOOKUP_TIMEOUT_MS): not knowing is no evidence of forgery.
   */
  async owners(keys: Iterable<string>): Promise<Map<string, KeyOwner | null | undefined>> {
    const out = new Map<string, KeyOwner | null | undefined>();
    const missing: string[] = [];
    for (const key of new Set(keys)) {
      const owner = this.cached(key);
      if (owner === undefined) missing.push(key);
      else out.set(key, owner);
    }
    const batches: Promise<void>[] = [];
    for (let i = 0; i < missing.length; i += DEVICE_KEYS_LOOKUP_MAX) {
      const batch = missing.slice(i, i + DEVICE_KEYS_LOOKUP_MAX);
      batches.push(
        this.lookup(batch).then((owners) => {
          for (const key of batch) {
            // A failed lookup (timeout, offline) is not remembered: the next sync asks again.
            if (!owners) {
              out.set(key, undefined);
              continue;
            }
            const owner = owners.find((o) => o.deviceKey === key) ?? null;
            out.set(key, owner);
            this.remember(key, owner);
          }
        }),
      );
    }
    await Promise.all(batches);
    return out;
  }

  /** The server's answer to the request in flight. */
  answered(owners: KeyOwner[]): void {
    if (this.owed > 0) {
      this.owed--;
      return;
    }
    const current = this.inFlight;
    if (!current) return;
    clearTimeout(current.timer);
    this.inFlight = null;
    const asked = new Set(current.lookup.keys);
    current.lookup.resolve(owners.filter((o) => asked.has(o.deviceKey)));
    this.next();
  }

  /** The socket went away: requests in flight will not be answered. */
  reset(): void {
    this.owed = 0; // a new socket owes nothing of the old one's
    if (this.inFlight) {
      clearTimeout(this.inFlight.timer);
      this.inFlight.lookup.resolve(null);
      this.inFlight = null;
    }
    for (const lookup of this.queue.splice(0)) lookup.resolve(null);
  }

  private lookup(keys: string[]): Promise<KeyOwner[] | null> {
    return new Promise((resolve) => {
      this.queue.push({ keys, resolve });
      if (!this.inFlight) this.next();
    });
  }

  private next(): void {
    const lookup = this.queue.shift();
    if (!lookup) return;
    if (!this.deps.ask(lookup.keys)) {
      lookup.resolve(null);
      return this.next();
    }
    const timer = setTimeout(() => {
      this.inFlight = null;
      this.owed++;
      lookup.resolve(null);
      this.next();
    }, this.deps.timeoutMs ?? KEY_LOOKUP_TIMEOUT_MS);
    this.inFlight = { lookup, timer };
  }

  private remember(key: string, owner: KeyOwner | null): void {
    this.known.delete(key);
    this.known.set(key, owner);
    if (this.known.size > KNOWN_KEYS_MAX) this.known.delete(this.known.keys().next().value!);
  }
}
