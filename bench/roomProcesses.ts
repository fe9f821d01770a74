// The room bench's processes as the coordinator sees them: P forked bench/roomWorker.ts processes,
// peer i placed in process i % P (so consecutive joins land in different processes), their event
// batches handed to one listener, and bounded waits on conditions over what has arrived.

import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FromRoomWorker, RoomEvent, ToRoomWorker } from './roomWorker';
import { NODE_FLAGS } from './workerProcess';

const HERE = path.dirname(fileURLToPath(import.meta.url));

/** wrtc prints one line per ICE-TCP candidate it does not take: thousands in a room. */
const NOISE = /^Ignoring unsupported ICE candidate\.$/;

function passStderr(child: ChildProcess): void {
  let rest = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => {
    const lines = (rest + text).split('\n');
    rest = lines.pop()!;
    for (const line of lines) if (line && !NOISE.test(line)) console.error(line);
  });
}

export class RoomProcesses {
  private readonly children: ChildProcess[];
  private readonly waiters = new Set<() => void>();
  private readyCount = 0;
  private stopping = false;
  /** Processes that ended before stop() (wrtc has crashed one now and then: SIGSEGV), and how. */
  readonly ended = new Map<number, string>();

  constructor(
    count: number,
    private readonly onEvent: (event: RoomEvent) => void,
  ) {
    this.children = Array.from({ length: count }, (_, n) => {
      const child = fork(path.join(HERE, 'roomWorker.ts'), [], { execArgv: [...NODE_FLAGS, '--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
      passStderr(child);
      child.on('message', (m: FromRoomWorker) => {
        if (m.ev === 'ready') this.readyCount++;
        else for (const event of m.events) this.onEvent(event);
        this.wake();
      });
      child.on('exit', (code, signal) => {
        if (!this.stopping) {
          this.ended.set(n, signal ?? `exit code ${code}`);
          console.error(`room process ${n} (pid ${child.pid}) ended early (${signal ?? `exit code ${code}`})`);
        }
        this.wake();
      });
      return child;
    });
  }

  /** The process that holds peer `index`. */
  send(index: number, m: ToRoomWorker): void {
    const child = this.children[index % this.children.length];
    // A process that died is reported once, when it ends; its peers' figures show the rest.
    if (child.connected) child.send(m, undefined, {}, () => {});
  }

  /** The processes' ids (for their CPU time). */
  pids(): (number | undefined)[] {
    return this.children.map((c) => c.pid);
  }

  /** True while the process holding peer `index` runs. */
  alive(index: number): boolean {
    return !this.ended.has(index % this.children.length);
  }

  ready(timeoutMs = 60_000): Promise<boolean> {
    return this.until(() => this.readyCount === this.children.length, timeoutMs);
  }

  /** Resolves true as soon as `pred` holds (checked whenever events arrive), false after `timeoutMs`. */
  async until(pred: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (pred()) return true;
      const left = deadline - performance.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.waiters.delete(done);
          resolve();
        };
        // Also re-checked every second: some conditions (quiet for 5 s) turn true with no event.
        const timer = setTimeout(done, Math.min(left, 1000));
        this.waiters.add(done);
      });
    }
  }

  /** Stops every process (SIGKILL for one still there after 10 s). */
  stop(): Promise<void> {
    this.stopping = true;
    return Promise.all(
      this.children.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.on('exit', (code, signal) => {
              // A crash at exit (wrtc's native code) shows here, not in the figures.
              if (code !== 0) console.error(`room process (pid ${child.pid}) ended at stop: ${signal ?? `exit code ${code}`}`);
              resolve();
            });
            if (child.connected) child.send({ cmd: 'stop' } satisfies ToRoomWorker);
            setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
          }),
      ),
    ).then(() => {});
  }

  private wake(): void {
    for (const w of [...this.waiters]) w();
  }
}
