// Trust on first use: the device keys seen for each account, kept where this device keeps its
// session (a page: localStorage; the CLI: --state-dir). The server hands out every key, so a swapped
// key can only be noticed against one seen before: a key an account has not shown this device
// before is a changed device ("bob's device changed"), to be checked by comparing safety numbers.

import { KEY_PIN_ACCOUNTS_MAX, KEY_PINS_PER_ACCOUNT_MAX } from '../../shared/limits';

/** Where the pins live between runs; both calls may fail silently (private mode, a read-only folder). */
export interface PinStorage {
  load(): string | null;
  save(text: string): void;
}

/** `first`: no key was pinned for the account yet; `known`: pinned before; `changed`: the account has pinned keys and this is not one of them. */
export type PinResult = 'first' | 'known' | 'changed';

const FORMAT = 1;

export class KeyPins {
  /** Account -> its keys, newest first; accounts in the order last seen (a Map keeps insertion order). */
  private readonly accounts = new Map<string, string[]>();

  constructor(private readonly storage: PinStorage | null = null) {
    try {
      const parsed = JSON.parse(storage?.load() ?? 'null') as { v?: number; accounts?: Record<string, unknown> } | null;
      if (parsed?.v !== FORMAT || typeof parsed.accounts !== 'object' || parsed.accounts === null) return;
      for (const [account, keys] of Object.entries(parsed.accounts)) {
        if (Array.isArray(keys)) this.accounts.set(account, keys.filter((k): k is string => typeof k === 'string').slice(0, KEY_PINS_PER_ACCOUNT_MAX));
      }
    } catch {
      // Unreadable pins: start again (every key is then a first one).
    }
  }

  /** Records that `account` showed `deviceKey`, and says whether it was pinned. */
  see(account: string, deviceKey: string): PinResult {
    const keys = this.accounts.get(account);
    const result: PinResult = !keys ? 'first' : keys.includes(deviceKey) ? 'known' : 'changed';
    const next = [deviceKey, ...(keys ?? []).filter((k) => k !== deviceKey)].slice(0, KEY_PINS_PER_ACCOUNT_MAX);
    this.accounts.delete(account);
    this.accounts.set(account, next);
    while (this.accounts.size > KEY_PIN_ACCOUNTS_MAX) this.accounts.delete(this.accounts.keys().next().value!);
    if (result !== 'known' || keys?.[0] !== deviceKey) this.save();
    return result;
  }

  private save(): void {
    try {
      this.storage?.save(JSON.stringify({ v: FORMAT, accounts: Object.fromEntries(this.accounts) }));
    } catch {
      // Not kept: the pins still hold for this run.
    }
  }
}
