// WebSocket connections per client address that have not authenticated yet. The hub takes a slot
// before the upgrade and gives it back when the socket authenticates or closes, whichever comes
// first: a host cannot hold more than `max` unauthenticated sockets at once.

export class PendingPerAddress {
  private readonly counts = new Map<string, number>();
  /** Slots held over all addresses. */
  private total = 0;

  constructor(private readonly max: number) {}

  /**
   * Takes a slot for `address`, or returns undefined when it already holds `max`. The returned
   * function gives the slot back; only its first call counts, so every path that ends the
   * unauthenticated state may call it.
   */
  take(address: string): (() => void) | undefined {
    const held = this.counts.get(address) ?? 0;
    if (held >= this.max) return undefined;
    this.counts.set(address, held + 1);
    this.total++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.total--;
      const left = (this.counts.get(address) ?? 1) - 1;
      // An address with no slot left has no entry: the map only holds addresses with pending sockets.
      if (left > 0) this.counts.set(address, left);
      else this.counts.delete(address);
    };
  }

  /** Slots `address` holds now. */
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
}
