// CPU time (ms, from /proc) of this process and the Chromium processes it started, by process kind or by thread.

import { readdirSync, readFileSync } from 'node:fs';
const TICK = 100; // USER_HZ
function ppid(pid: string): string { const st = readFileSync(`/proc/${pid}/stat`, 'utf8'); return st.slice(st.lastIndexOf(')') + 2).split(' ')[1]; }
function mine(pid: string): boolean { let p = pid; for (let i = 0; i < 12 && p !== '0' && p !== '1'; i++) { if (Number(p) === process.pid) return true; try { p = ppid(p); } catch { return false; } } return false; }
export function cpuByKind(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (!mine(pid)) continue;
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split(/[\0 ]/);
      let kind: string | null = null;
      if (cmd[0].includes('chromium') || cmd[0].includes('chrome')) {
        const t = cmd.find((a) => a.startsWith('--type='));
        const sub = cmd.find((a) => a.startsWith('--utility-sub-type='));
        kind = t ? (sub ? sub.slice(19) : t.slice(7)) : 'browser';
      } else if (Number(pid) === process.pid) kind = 'node(test+server)';
      if (!kind) continue;
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ms = ((Number(f[11]) + Number(f[12])) * 1000) / TICK;
      const key = kind === 'renderer' ? `renderer:${pid}` : kind;
      out[key] = (out[key] ?? 0) + ms;
    } catch {}
  }
  return out;
}
export function diff(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const o: Record<string, number> = {};
  for (const k of Object.keys(b)) { const d = b[k] - (a[k] ?? 0); if (d > 0) o[k] = d; }
  return o;
}
/** CPU ms per `pid:thread-name` of our chromium processes (threads with the same name summed). */
export function cpuByThread(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      if (!mine(pid)) continue;
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split(/[\0 ]/);
      if (!cmd[0].includes('chrom')) continue;
      const t = cmd.find((a) => a.startsWith('--type='));
      const sub = cmd.find((a) => a.startsWith('--utility-sub-type='));
      const kind = t ? (sub ? sub.slice(19).split('.')[0] : t.slice(7)) : 'browser';
      for (const tid of readdirSync(`/proc/${pid}/task`)) {
        const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
        const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replace(/\d+$/, '#');
        const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const ms = ((Number(f[11]) + Number(f[12])) * 1000) / TICK;
        const key = `${kind === 'renderer' ? 'renderer:' + pid : kind} ${name}`;
        out[key] = (out[key] ?? 0) + ms;
      }
    } catch {}
  }
  return out;
}
