// A forked TypeScript child with typed IPC: wait for the next message matching a predicate, bounded.

import { fork, type ChildProcess } from 'node:child_process';

/** How long a child gets to exit after being asked to stop (ms). */
const STOP_GRACE_MS = 5_000;

export class Child<To, From> {
  private readonly process: ChildProcess;
  private readonly waiters = new Set<(message: From) => boolean>();

  constructor(
    readonly name: string,
    script: string,
    nodeFlags: string[] = [],
    private readonly onUnclaimed: (message: From) => void = () => {},
    env: Record<string, string> = {},
  ) {
    this.process = fork(script, [], { execArgv: ['--import', 'tsx', ...nodeFlags], env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], serialization: 'advanced' });
    this.process.on('message', (message: From) => {
      for (const waiter of this.waiters) if (waiter(message)) return;
      this.onUnclaimed(message);
    });
  }

  send(message: To): void {
    this.process.send(message as object);
  }

  /** The next message for which `pick` returns a value, within `timeoutMs`. */
  next<T>(pick: (message: From) => T | undefined, timeoutMs: number): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waiter = (message: From) => {
        const value = pick(message);
        if (value === undefined) return false;
        settle();
        resolve(value);
        return true;
      };
      const onExit = (code: number | null) => {
        settle();
        reject(new Error(`${this.name} exited (${code}) while waited on`));
      };
      const timer = setTimeout(() => {
        settle();
        reject(new Error(`${this.name}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const settle = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        this.process.off('exit', onExit);
      };
      this.waiters.add(waiter);
      this.process.once('exit', onExit);
    });
  }

  request<T>(message: To, pick: (message: From) => T | undefined, timeoutMs: number): Promise<T> {
    const answer = this.next(pick, timeoutMs);
    this.send(message);
    return answer;
  }

  /** Asks it to stop (`message`), then kills it if it has not exited in time. */
  stop(message: To): Promise<void> {
    return new Promise((resolve) => {
      if (this.process.exitCode !== null || this.process.signalCode !== null) return resolve();
      const timer = setTimeout(() => this.process.kill('SIGKILL'), STOP_GRACE_MS);
      this.process.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      if (this.process.connected) this.send(message);
      else this.process.kill('SIGKILL');
    });
  }

  /** Kills it (SIGKILL, like a crash); resolves once it has exited. */
  kill(): Promise<void> {
    return new Promise((resolve) => {
      if (this.process.exitCode !== null || this.process.signalCode !== null) return resolve();
      this.process.once('exit', () => resolve());
      this.process.kill('SIGKILL');
    });
  }
}
