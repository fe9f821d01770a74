// WebSocket ping/pong. A connection that has not answered the previous ping when the next one
// is due is terminated, so a dead peer disappears within two intervals.

import { HEARTBEAT_INTERVAL_MS } from '../../shared/limits';
import type { Connection } from './connection';

/**
 * Connections checked and pinged per event-loop turn. A ping is a socket write (a syscall): one
 * loop over 10,000 connections held the event loop for ~200 ms every interval.
 */
const PINGS_PER_TURN = 500;

export class Heartbeat {
  private readonly connections = new Set<Connection>();
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
    this.connections.add(conn);
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
    const due = [...this.connections];
    let next = 0;
    const slice = () => {
      const end = Math.min(due.length, next + PINGS_PER_TURN);
      for (; next < end; next++) if (this.connections.has(due[next])) this.check(due[next]);
      this.nextSlice = next < due.length ? setImmediate(slice) : undefined;
    };
    slice();
  }

  private check(conn: Connection): void {
    if (!conn.alive) {
      this.connections.delete(conn);
      conn.terminate();
      return;
    }
    conn.alive = false;
    if (!conn.ping()) conn.terminate();
  }
}
