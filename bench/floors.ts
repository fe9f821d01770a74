// The same bytes with no mesh, timed like the mesh's images: the raw ws baseline the ratios are
// taken against, and the floors of each path (raw wrtc data channels; a bare and a verified relay).

import { CHUNK_BYTES, IMAGE_MAX_BYTES, RELAY_BUNDLE_FRAMES_MAX } from '../shared/limits';
import type { FromWorker } from './worker';
import { median, REPEATS, timedRound, timedRounds, Worker } from './workerProcess';

const IMAGE_BYTES = IMAGE_MAX_BYTES;

/** Raw ws from one process to `receivers` processes (one socket each, the same 5 MiB to each): the baseline. */
export class Baseline {
  private readonly sinks: Worker[];
  private readonly source = new Worker('ws-source');
  private urls: string[] = [];
  private rounds = 0;

  constructor(readonly receivers: number) {
    this.sinks = Array.from({ length: receivers }, (_, i) => new Worker(`ws-sink${i}`));
  }

  async start(): Promise<this> {
    for (const sink of this.sinks) {
      sink.send({ cmd: 'ws-sink', size: IMAGE_BYTES });
      const { port } = await sink.next<Extract<FromWorker, { ev: 'ws-listening' }>>((m) => m.ev === 'ws-listening');
      this.urls.push(`ws://127.0.0.1:${port}`);
    }
    return this;
  }

  /** One timed transfer (ms). */
  round(): Promise<number> {
    const round = this.rounds++;
    return timedRound(this.source, this.sinks, round, () => this.source.send({ cmd: 'ws-source', urls: this.urls, size: IMAGE_BYTES, round }));
  }

  stop(): Promise<void> {
    return Promise.all([...this.sinks.map((s) => s.stop()), this.source.stop()]).then(() => {});
  }
}

/**
 * A relay with no mesh: one socket from the source to a forwarding process, which sends each message
 * on to every sink. `bare`: the baseline's 64 KiB messages and nothing else. `verified`: the work
 * issue 3 asks of any relayed image and nothing more: the mesh's message size (a bundle of
 * RELAY_BUNDLE_FRAMES_MAX chunks), SHA-256 on the way out, and at each sink reassembly into one
 * buffer and SHA-256 again.
 */
export class RawRelay {
  private readonly hub = new Worker('ws-hub');
  private readonly sinks: Worker[];
  private readonly source = new Worker('ws-relay-source');
  private url = '';
  private rounds = 0;

  constructor(
    readonly receivers: number,
    private readonly kind: 'bare' | 'verified',
  ) {
    this.sinks = Array.from({ length: receivers }, (_, i) => new Worker(`ws-hub-sink${i}`));
  }

  async start(): Promise<this> {
    this.hub.send({ cmd: 'ws-hub' });
    const { port } = await this.hub.next<Extract<FromWorker, { ev: 'ws-listening' }>>((m) => m.ev === 'ws-listening');
    this.url = `ws://127.0.0.1:${port}`;
    for (const sink of this.sinks) {
      sink.send({ cmd: 'ws-hub-sink', url: `${this.url}/sink`, size: IMAGE_BYTES, verify: this.kind === 'verified' });
      await sink.next((m) => m.ev === 'ws-listening');
    }
    return this;
  }

  round(): Promise<number> {
    const round = this.rounds++;
    const verified = this.kind === 'verified';
    const chunkBytes = verified ? RELAY_BUNDLE_FRAMES_MAX * CHUNK_BYTES : CHUNK_BYTES;
    return timedRound(this.source, this.sinks, round, () =>
      this.source.send({ cmd: 'ws-source', urls: [`${this.url}/source`], size: IMAGE_BYTES, round, chunkBytes, hash: verified }),
    );
  }

  stop(): Promise<void> {
    return Promise.all([this.hub.stop(), ...this.sinks.map((s) => s.stop()), this.source.stop()]).then(() => {});
  }
}

export async function baseline(receivers: number): Promise<number> {
  const base = await new Baseline(receivers).start();
  try {
    const times: number[] = [];
    for (let round = 0; round <= REPEATS; round++) {
      const ms = await base.round();
      if (round > 0) times.push(ms);
    }
    return median(times);
  } finally {
    await base.stop();
  }
}

/** Raw simple-peer data channel between two processes (signaling relayed by this process): wrtc's own speed. */
export async function rawDataChannel(receivers = 1): Promise<number> {
  const source = new Worker('dc-source');
  const sinks = Array.from({ length: receivers }, (_, i) => new Worker(`dc-sink${i}`));
  try {
    source.child.on('message', (m: FromWorker) => m.ev === 'dc-signal' && sinks[m.link].send({ cmd: 'dc-signal', data: m.data, link: 0 }));
    sinks.forEach((sink, link) => {
      sink.child.on('message', (m: FromWorker) => m.ev === 'dc-signal' && source.send({ cmd: 'dc-signal', data: m.data, link }));
      sink.send({ cmd: 'dc', initiator: false, size: IMAGE_BYTES, link: 0 });
      source.send({ cmd: 'dc', initiator: true, size: IMAGE_BYTES, link });
    });
    for (let link = 0; link < receivers; link++) await source.next((m) => m.ev === 'dc-ready' && m.link === link);
    return await timedRounds(source, sinks, (round) => source.send({ cmd: 'dc-send', round }));
  } finally {
    await Promise.all([...sinks.map((s) => s.stop()), source.stop()]);
  }
}
