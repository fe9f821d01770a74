// Work that should be done before it is needed but need not block anything: one job per macrotask,
// so frames, presence and rendering run between jobs. Keys are deduplicated; at most `max` wait.

export class BackgroundJobs<K> {
  private readonly pending = new Set<K>();
  private timer: ReturnType<typeof setTimeout> | null = null;

  constructor(
    private readonly run: (key: K) => void,
    private readonly max: number,
  ) {}

  add(key: K): void {
    if (this.pending.size >= this.max) return; // skipped work is done on demand instead
    this.pending.add(key);
    this.timer ??= setTimeout(() => this.step(), 0);
  }

  stop(): void {
    this.pending.clear();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private step(): void {
    this.timer = null;
    const next = this.pending.values().next();
    if (next.done) return;
    this.pending.delete(next.value);
    if (this.pending.size > 0) this.timer = setTimeout(() => this.step(), 0);
    this.run(next.value);
  }
}
