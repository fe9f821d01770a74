// Which confusable skeletons (skeleton.ts) the accounts' user names have, in memory: a new name
// whose skeleton one of them has is "too similar to an existing name". Built from every account
// at start, so names registered before this rule keep working side by side (no unique index on old
// data); registrations are serialised (accounts.ts) so two look-alikes cannot pass at once.

import { usernameSkeletons } from './skeleton';

export class NameIndex {
  private readonly counts = new Map<string, number>();

  add(username: string): void {
    for (const s of usernameSkeletons(username)) this.counts.set(s, (this.counts.get(s) ?? 0) + 1);
  }

  remove(username: string): void {
    for (const s of usernameSkeletons(username)) {
      const left = (this.counts.get(s) ?? 0) - 1;
      if (left > 0) this.counts.set(s, left);
      else this.counts.delete(s);
    }
  }

  /** True when an account's name looks like `username`. */
  hasLookAlike(username: string): boolean {
    return usernameSkeletons(username).some((s) => this.counts.has(s));
  }
}
