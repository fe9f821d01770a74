// WebSocket ping/pong. A connection that has not answered the previous ping when the next one
// is due is terminated, so a dead peer disappears within two intervals. Unless it was backed up
// and has read since: its ping waits behind what it has not read yet (after a restart each
// client is sent the whole room, ~1 MB at 10,000 online, and a slow one took longer than an
// interval, was cut, came back for another welcome and fell further behind). A dead peer reads
// nothing, so its backlog makes no progress.

import { HEARTBEAT_INTERVAL_MS } from '../../shared/limits';
import type { Connection } from './connection';

/**
 * Connections checked and pinged per event-loop turn. A ping is a socket write (a syscall): one
 * loop over 10,000 connections held the event loop for ~200 ms every interval.
 */
const PINGS_PER_TURN = 500;

/** What a connection's socket had been sent at the last check. */
interface Progress {
  taken: number;
  backedUp: boolean;
}

export class Heartbeat {
  private readonly connections = new Map<Connection, Progress>();
  private readonly timer: NodeJS.Timeout;
  private nextSlice: NodeJS.Immediate | undefined;

  constructor(intervalMs = HEARTBEAT_INTERVAL_MS) {
    this.timer = setInterval(() => this.tick(), intervalMs);
  }

  watch(conn: Connection): void {
    conn.alive = true;
    conn.onPong(() => {
      conn.alive = true;
    });
    this.connections.set(conn, { taken: conn.bytesTaken, backedUp: false });
  }

  forget(conn: Connection): void {
    this.connections.delete(conn);
  }

  close(): void {
    clearInterval(this.timer);
    clearImmediate(this.nextSlice);
    this.connections.clear();
  }

  private tick(): void {
    clearImmediate(this.nextSlice);
    const due = [...this.connections.keys()];
    let next = 0;
    const slice = () => {
      const end = Math.min(due.length, next + PINGS_PER_TURN);
      for (; next < end; next++) if (this.connections.has(due[next])) this.check(due[next]);
      this.nextSlice = next < due.length ? setImmediate(slice) : undefined;
    };
    slice();
  }

  private check(conn: Connection): void {
    const last = this.connections.get(conn)!;
    const taken = conn.bytesTaken;
    const readMeanwhile = last.backedUp && taken > last.taken;
    if (!conn.alive && !readMeanwhile) {
      this.connections.delete(conn);
      conn.terminate();
      return;
    }
    last.taken = taken;
    last.backedUp = conn.backlog > 0;
    conn.alive = false;
    if (!conn.ping()) conn.terminate();
  }
}
