// Runs tasks one at a time per key: a task named by several keys waits for the last task of each.
// Account updates (an account's devices, its device keys, and who holds a device key) are
// serialised per account and per key, not globally: with PostgreSQL each takes round trips, and a
// global queue made a room reconnecting after a restart wait for every other account's writes.

export class KeyedQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(keys: readonly string[], task: () => Promise<T>): Promise<T> {
    const before = keys.map((key) => this.tails.get(key) ?? Promise.resolve());
    const result = Promise.all(before).then(task);
    const tail = result.catch(() => {});
    for (const key of keys) this.tails.set(key, tail);
    // Forget a key once nothing newer waits on it (the map holds only keys with work in flight).
    void tail.then(() => {
      for (const key of keys) if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Keys with work in flight (tests). */
  get size(): number {
    return this.tails.size;
  }
}
