// The Socket.IO room relay baseline, placed like the mesh's relay rows: the server in its own
// process, the sender in one, each receiver in its own (bench/socketioWorker.ts says what each does).

import { IMAGE_MAX_BYTES } from '../shared/limits';
import type { FromWorker } from './worker';
import { timedRound, Worker } from './workerProcess';

const IMAGE_BYTES = IMAGE_MAX_BYTES;
const SCRIPT = 'socketioWorker.ts';

export class SocketIoRelay {
  private readonly server = new Worker('sio-server', SCRIPT);
  private readonly source = new Worker('sio-source', SCRIPT);
  private readonly sinks: Worker[];
  private url = '';
  private rounds = 0;

  constructor(readonly receivers: number) {
    this.sinks = Array.from({ length: receivers }, (_, i) => new Worker(`sio-sink${i}`, SCRIPT));
  }

  async start(): Promise<this> {
    this.server.send({ cmd: 'sio-server' });
    const { port } = await this.server.next<Extract<FromWorker, { ev: 'ws-listening' }>>((m) => m.ev === 'ws-listening');
    this.url = `http://127.0.0.1:${port}`;
    for (const sink of this.sinks) {
      sink.send({ cmd: 'sio-sink', url: this.url, size: IMAGE_BYTES });
      await sink.next((m) => m.ev === 'ws-listening');
    }
    return this;
  }

  /** One 5 MiB image to every receiver, verified by each (ms from the first chunk until the last receiver checked it). */
  round(): Promise<number> {
    const round = this.rounds++;
    return timedRound(this.source, this.sinks, round, () => this.source.send({ cmd: 'sio-source', url: this.url, size: IMAGE_BYTES, round }));
  }

  /** Every process of this relay (for their CPU time). */
  pids(): (number | undefined)[] {
    return [this.server, this.source, ...this.sinks].map((w) => w.child.pid);
  }

  stop(): Promise<void> {
    return Promise.all([this.server.stop(), this.source.stop(), ...this.sinks.map((s) => s.stop())]).then(() => {});
  }
}
