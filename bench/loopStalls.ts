// Event-loop stalls of a bench process: a 20 ms timer that notes how late it fires. A stall is the
// main thread busy (or blocked in a synchronous call, such as in-process wrtc's) for that long.

const TICK_MS = 20;
/** Lateness from which a tick counts as a stall (ms). */
const STALL_MS = 100;

export interface LoopStalls {
  count: number;
  totalMs: number;
  longestMs: number;
}

export function watchLoopStalls(): () => LoopStalls {
  const stalls: LoopStalls = { count: 0, totalMs: 0, longestMs: 0 };
  let expected = performance.now() + TICK_MS;
  const timer = setInterval(() => {
    const now = performance.now();
    const late = now - expected;
    expected = now + TICK_MS;
    if (late < STALL_MS) return;
    stalls.count++;
    stalls.totalMs += late;
    stalls.longestMs = Math.max(stalls.longestMs, late);
  }, TICK_MS);
  timer.unref();
  return () => ({ ...stalls });
}
