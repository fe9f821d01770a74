// The mesh rows' peers: n mesh peers, each in its own process, on one bench server; peer 0 sends,
// the others receive. `workerScript` may be another checkout's bench/worker.ts (BENCH_BEFORE), so a
// run can time the mesh before and after a change side by side, round by round.

import { IMAGE_MAX_BYTES } from '../shared/limits';
import type { BenchServer } from './benchServer';
import type { FromWorker } from './worker';
import { Worker } from './workerProcess';

const IMAGE_BYTES = IMAGE_MAX_BYTES;

export class MeshGroup {
  readonly workers: Worker[];

  constructor(
    private readonly server: BenchServer,
    n: number,
    private readonly tag: string,
    workerScript = 'worker.ts',
    /** Relay unencrypted (the "before" of end-to-end encryption, same code otherwise). */
    private readonly plainRelay = false,
  ) {
    this.workers = Array.from({ length: n }, (_, i) => new Worker(`${tag}${i}`, workerScript));
  }

  get sender(): Worker {
    return this.workers[0];
  }

  get receivers(): Worker[] {
    return this.workers.slice(1);
  }

  /** Registers, starts every peer and resolves once every link is `linkKind`: the time that took (ms). */
  async connect(linkKind: 'direct' | 'relay'): Promise<number> {
    const n = this.workers.length;
    const tokens = await Promise.all(this.workers.map((w) => this.server.registerAndLogin(w.name)));
    // Process start-up (tsx, wrtc) is not part of connecting.
    await Promise.all(this.workers.map((w) => w.next((m) => m.ev === 'ready')));
    const t0 = performance.now();
    this.workers.forEach((w, i) => w.send({ cmd: 'start', wsUrl: this.server.wsUrl, token: tokens[i], ...(this.plainRelay && { plainRelay: true }) }));
    await Promise.all(this.workers.map((w) => w.next((m) => m.ev === 'links' && m.links.length === n - 1 && m.links.every((l) => l === linkKind))));
    return performance.now() - t0;
  }

  /** `count` texts from the sender to every receiver: every receiver's latencies (ms). */
  async texts(run: string, count: number, intervalMs: number): Promise<number[]> {
    this.sender.send({ cmd: 'texts', run, count, intervalMs });
    const done = await Promise.all(this.receivers.map((w) => w.next<Extract<FromWorker, { ev: 'texts-done' }>>((m) => m.ev === 'texts-done' && m.run === run)));
    return done.flatMap((d) => d.latenciesMs);
  }

  /** One 5 MiB image to every receiver: ms from sendImage until the last delivered it; throws if any copy differs. */
  async image(round: number): Promise<number> {
    const run = `${this.tag}-img${round}`;
    this.sender.send({ cmd: 'image', run, size: IMAGE_BYTES });
    const got = await Promise.all(this.receivers.map((w) => w.next<Extract<FromWorker, { ev: 'image-received' }>>((m) => m.ev === 'image-received' && m.run === run, 120_000)));
    const { startedAt, sha256 } = await this.sender.next<Extract<FromWorker, { ev: 'image-sent' }>>((m) => m.ev === 'image-sent' && m.run === run);
    if (!got.every((g) => g.sha256 === sha256)) throw new Error(`${this.tag}: an image arrived corrupted`);
    return Math.max(...got.map((g) => g.receivedAt)) - startedAt;
  }

  /** The server's and every peer's process (for their CPU time). */
  pids(): (number | undefined)[] {
    return [this.server.pid, ...this.workers.map((w) => w.child.pid)];
  }

  stop(): Promise<void> {
    return Promise.all(this.workers.map((w) => w.stop())).then(() => {});
  }
}
