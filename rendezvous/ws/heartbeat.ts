// WebSocket ping/pong. A connection that has not answered the previous ping when the next one
// is due is terminated, so a dead peer disappears within two intervals.

import { HEARTBEAT_INTERVAL_MS } from '../../shared/limits';
import type { Connection } from './connection';

export class Heartbeat {
  private readonly connections = new Set<Connection>();
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs = HEARTBEAT_INTERVAL_MS) {
    this.timer = setInterval(() => this.tick(), intervalMs);
  }

  watch(conn: Connection): void {
    conn.alive = true;
    conn.ws.on('pong', () => {
      conn.alive = true;
    });
    this.connections.add(conn);
  }

  forget(conn: Connection): void {
    this.connections.delete(conn);
  }

  close(): void {
    clearInterval(this.timer);
    this.connections.clear();
  }

  private tick(): void {
    for (const conn of this.connections) {
      if (!conn.alive) {
        this.connections.delete(conn);
        conn.ws.terminate();
        continue;
      }
      conn.alive = false;
      try {
        conn.ws.ping();
      } catch {
        conn.ws.terminate();
      }
    }
  }
}
