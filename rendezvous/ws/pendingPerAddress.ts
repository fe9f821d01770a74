// WebSocket connections per client address that have not authenticated yet. The hub takes a slot
// before the upgrade and gives it back when the socket authenticates or closes, whichever comes
// first: a host cannot hold more than `max` unauthenticated sockets at once.
//
// In a cluster the cap counts every node's sockets: each node reports its count of an address when
// it changes (`onChange`, published once per event-loop turn), and the others add it up. A count is
// trusted for `staleAfterMs` only: every unauthenticated socket ends by the auth deadline, so a
// count that has not changed for longer is a report lost on the way, not sockets still held.

interface RemoteCount {
  count: number;
  /** When it was reported (performance.now()). */
  at: number;
}

export class PendingPerAddress {
  private readonly counts = new Map<string, number>();
  /** Slots held over all addresses. */
  private total = 0;
  /** Other nodes' counts: node -> address -> count. */
  private readonly remote = new Map<string, Map<string, RemoteCount>>();
  /** Called with this node's new count of an address (cluster: published to the other nodes). */
  onChange: ((address: string, count: number) => void) | undefined;

  constructor(
    private readonly max: number,
    private readonly staleAfterMs = Infinity,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /**
   * Takes a slot for `address`, or returns undefined when it already holds `max` (on all nodes).
   * The returned function gives the slot back; only its first call counts, so every path that
   * ends the unauthenticated state may call it.
   */
  take(address: string): (() => void) | undefined {
    const held = this.counts.get(address) ?? 0;
    if (held + this.remoteHeld(address) >= this.max) return undefined;
    this.counts.set(address, held + 1);
    this.total++;
    this.onChange?.(address, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const left = (this.counts.get(address) ?? 1) - 1;
      // An address with no slot left has no entry: the map only holds addresses with pending sockets.
      if (left > 0) this.counts.set(address, left);
      else this.counts.delete(address);
      this.onChange?.(address, left);
    };
  }

  /** Slots `address` holds now on this node. */
  held(address: string): number {
    return this.counts.get(address) ?? 0;
  }

  /** Slots held over all addresses. */
  get totalHeld(): number {
    return this.total;
  }

  /** Addresses holding at least one slot. */
  get addresses(): number {
    return this.counts.size;
  }

  /** Another node's counts, as it reported them (0: none left). */
  setRemote(node: string, counts: ReadonlyArray<readonly [string, number]>): void {
    let ofNode = this.remote.get(node);
    if (!ofNode) this.remote.set(node, (ofNode = new Map()));
    const at = this.now();
    for (const [address, count] of counts) {
      if (count > 0) ofNode.set(address, { count, at });
      else ofNode.delete(address);
    }
    if (ofNode.size === 0) this.remote.delete(node);
  }

  /** A node gone: its sockets are gone with it. */
  forgetNode(node: string): void {
    this.remote.delete(node);
  }

  private remoteHeld(address: string): number {
    let sum = 0;
    const now = this.now();
    for (const [node, ofNode] of this.remote) {
      const entry = ofNode.get(address);
      if (!entry) continue;
      if (now - entry.at <= this.staleAfterMs) {
        sum += entry.count;
        continue;
      }
      ofNode.delete(address);
      if (ofNode.size === 0) this.remote.delete(node);
    }
    return sum;
  }
}
