// Message ids already delivered from one sender, bounded to the DEDUP_WINDOW most recent.

import { DEDUP_WINDOW } from '../../shared/limits';

export class DedupWindow {
  private ids = new Set<string>();
  constructor(private readonly max = DEDUP_WINDOW) {}

  has(id: string): boolean {
    return this.ids.has(id);
  }

  add(id: string): void {
    this.ids.add(id);
    if (this.ids.size > this.max) {
      const oldest = this.ids.values().next().value as string;
      this.ids.delete(oldest);
    }
  }
}
