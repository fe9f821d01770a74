// Prometheus metrics (prom-client) of one node: connections, peers online, relay bytes and drops,
// signals, the password queue's wait and hash time, and the engines' state and latency (read at
// each scrape). Modules report through the small interfaces below, not through prom-client.

import client from 'prom-client';
import { ENGINE_PING_TIMEOUT_MS } from '../shared/limits';

/** What the relay and signaling report. */
export interface TrafficStats {
  relayed(path: 'local' | 'remote', bytes: number): void;
  dropped(): void;
  signal(path: 'local' | 'remote'): void;
}

/** What the password hasher reports (ms). */
export interface HashStats {
  queued(waitMs: number): void;
  hashed(workMs: number): void;
}

/** An engine a node depends on, probed at each scrape and by /readyz. */
export interface EngineProbe {
  name: string;
  /** Resolves when the engine answers; rejects (or times out) when it does not. */
  ping(): Promise<void>;
}

export interface EngineState {
  name: string;
  up: boolean;
  latencyMs: number;
  error?: string;
}

/** Pings an engine with a deadline. */
export async function probe(engine: EngineProbe, timeoutMs = ENGINE_PING_TIMEOUT_MS): Promise<EngineState> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([engine.ping(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer in ${timeoutMs} ms`)), timeoutMs)))]);
    return { name: engine.name, up: true, latencyMs: performance.now() - started };
  } catch (error) {
    return { name: engine.name, up: false, latencyMs: performance.now() - started, error: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

export interface MetricsSources {
  connections(): number;
  peersHere(): number;
  peersInRoom(): number;
  engines: EngineProbe[];
}

export class ServerMetrics implements TrafficStats, HashStats {
  readonly registry = new client.Registry();
  private readonly relayBytes = new client.Counter({ name: 'chatroom_relay_bytes_total', help: 'Bytes relayed, to a socket of this node (local) or to another node (remote).', labelNames: ['path'], registers: [this.registry] });
  private readonly relayDrops = new client.Counter({ name: 'chatroom_relay_dropped_frames_total', help: 'Relayed frames dropped because their receiver was backed up.', registers: [this.registry] });
  private readonly signals = new client.Counter({ name: 'chatroom_signals_total', help: 'Signals forwarded, to this node (local) or another (remote).', labelNames: ['path'], registers: [this.registry] });
  private readonly queueWait = new client.Histogram({
    name: 'chatroom_password_queue_wait_seconds',
    help: 'Time a login or registration waited for a password-hashing slot.',
    buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
    registers: [this.registry],
  });
  private readonly hashTime = new client.Histogram({
    name: 'chatroom_password_hash_seconds',
    help: 'Time of one Argon2id hash or verify.',
    buckets: [0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.5, 1],
    registers: [this.registry],
  });
  private sources: MetricsSources | undefined;

  constructor() {
    client.collectDefaultMetrics({ register: this.registry, prefix: 'chatroom_' });
    const self = this;
    new client.Gauge({ name: 'chatroom_ws_connections', help: 'WebSocket connections held, authenticated or not.', registers: [this.registry], collect() { this.set(self.sources?.connections() ?? 0); } });
    new client.Gauge({
      name: 'chatroom_peers_online',
      help: 'Peers online: on this node (node) and in the whole room (room).',
      labelNames: ['scope'],
      registers: [this.registry],
      collect() {
        this.set({ scope: 'node' }, self.sources?.peersHere() ?? 0);
        this.set({ scope: 'room' }, self.sources?.peersInRoom() ?? 0);
      },
    });
    // The probes run once per scrape: engine_up (collected first) starts them, the latencies await them.
    let probing: Promise<EngineState[]> = Promise.resolve([]);
    new client.Gauge({
      name: 'chatroom_engine_up',
      help: '1 when the engine (nedb, postgres, redis) answered the probe of this scrape.',
      labelNames: ['engine'],
      registers: [this.registry],
      async collect() {
        probing = Promise.all((self.sources?.engines ?? []).map((engine) => probe(engine)));
        for (const state of await probing) this.set({ engine: state.name }, state.up ? 1 : 0);
      },
    });
    new client.Gauge({
      name: 'chatroom_engine_latency_seconds',
      help: 'Round trip of the probe of each engine at this scrape.',
      labelNames: ['engine'],
      registers: [this.registry],
      async collect() {
        for (const state of await probing) this.set({ engine: state.name }, state.latencyMs / 1000);
      },
    });
  }

  /** What the gauges read, once the server has it. */
  attach(sources: MetricsSources): void {
    this.sources = sources;
  }

  relayed(path: 'local' | 'remote', bytes: number): void {
    this.relayBytes.inc({ path }, bytes);
  }

  dropped(): void {
    this.relayDrops.inc();
  }

  signal(path: 'local' | 'remote'): void {
    this.signals.inc({ path });
  }

  queued(waitMs: number): void {
    this.queueWait.observe(waitMs / 1000);
  }

  hashed(workMs: number): void {
    this.hashTime.observe(workMs / 1000);
  }
}
