// BENCH_PROF_ROUNDS=<dir>: a V8 CPU profile of each bench process from its first image on (the warm-up
// round) until it stops, so start-up and module loading stay out of it. Written as
// <dir>/<pid>.<role>.cpuprofile (open it in Chrome DevTools, or summarize its samples).

import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
import path from 'node:path';

const DIR = process.env.BENCH_PROF_ROUNDS;
let session: Session | null = null;
let role = 'process';

/** Starts profiling once (the first call), naming the profile after `as`. */
export function profileFromHere(as: string): void {
  if (!DIR || session) return;
  role = as;
  session = new Session();
  session.connect();
  session.post('Profiler.enable');
  session.post('Profiler.setSamplingInterval', { interval: 500 });
  session.post('Profiler.start');
}

/** Writes the profile (synchronously: the process is about to exit). */
export function writeProfile(): void {
  if (!DIR || !session) return;
  session.post('Profiler.stop', (err, result) => {
    if (!err) writeFileSync(path.join(DIR, `${process.pid}.${role}.cpuprofile`), JSON.stringify(result.profile));
  });
}
