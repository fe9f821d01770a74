// Writes the room of a single node to its saved-room file (presenceSnapshot.ts) when it has changed,
// at most every PRESENCE_SNAPSHOT_INTERVAL_MS, and once more when the server shuts down: after a
// kill -9 the room restored is at most one interval old (a client's digest then differs in the
// buckets that changed meanwhile, and only those are sent to it).

import { PRESENCE_SNAPSHOT_INTERVAL_MS } from '../../shared/limits';
import type { Presence } from './presence';
import { writeSnapshot } from './presenceSnapshot';

export class RoomSaver {
  private timer: NodeJS.Timeout | undefined;
  /** The presence revision last written (-1: none). */
  private savedRevision = -1;
  private writing: Promise<void> | undefined;

  constructor(
    private readonly file: string,
    private readonly presence: Presence,
    private readonly log: (message: string) => void,
    private readonly intervalMs = PRESENCE_SNAPSHOT_INTERVAL_MS,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.save(), this.intervalMs);
    this.timer.unref?.();
  }

  /** Writes the room if it changed since the last write; one write at a time. */
  save(): Promise<void> {
    if (this.writing) return this.writing;
    const revision = this.presence.revision;
    if (revision === this.savedRevision) return Promise.resolve();
    this.writing = writeSnapshot(this.file, this.presence.saved())
      .then(
        () => {
          this.savedRevision = revision;
        },
        (error: unknown) => this.log(`saving the room: ${error instanceof Error ? error.message : String(error)}`),
      )
      .finally(() => {
        this.writing = undefined;
      });
    return this.writing;
  }

  /** The last write, with everyone still online (before the sockets are closed). */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.writing;
    await this.save();
  }
}
