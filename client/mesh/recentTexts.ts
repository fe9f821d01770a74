// This mesh's own texts of the last JOIN_RACE_MS, for a peer that appears just after them: it was not
// a receiver when they were sent, and its history sync may have asked peers they had not reached
// yet, so it is sent them too (its mesh shows each id once, whichever way it came).

import { JOIN_RACE_MS, JOIN_RACE_TEXTS_MAX } from '../../shared/limits';
import type { OutgoingText } from './outbox';

export class RecentTexts {
  private readonly texts: { text: OutgoingText; at: number }[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  add(text: OutgoingText): void {
    this.texts.push({ text, at: this.now() });
    if (this.texts.length > JOIN_RACE_TEXTS_MAX) this.texts.shift();
  }

  /** The texts sent within JOIN_RACE_MS, oldest first. */
  current(): OutgoingText[] {
    const since = this.now() - JOIN_RACE_MS;
    while (this.texts.length > 0 && this.texts[0].at < since) this.texts.shift();
    return this.texts.map((t) => t.text);
  }
}
