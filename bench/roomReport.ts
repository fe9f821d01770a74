// Runs the room scenario, prints its figures next to issue 10's targets and writes
// bench/results/room.json.

import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIRECT_LINKS_MAX, ROOM_PROCS, ROOM_RELAY, roomScenario, TARGET_READY_MS, TARGET_TEXT_P99_MS, TEXT_RUNS, type RoomResult } from './room';
import type { Spread } from './roomState';

const ms = (x: number) => (Number.isFinite(x) ? `${Math.round(x)} ms` : Number.isNaN(x) ? 'never' : 'never');
const s = (x: number) => (Number.isFinite(x) ? `${(x / 1000).toFixed(1)} s` : 'not within the wait');
const spreadOf = (x: Spread) => `p50 ${ms(x.p50)}, p99 ${ms(x.p99)}, max ${ms(x.max)}`;
const verdict = (ok: boolean) => (ok ? 'MET' : 'NOT MET');

export function printRoom(r: RoomResult, meshVersion: string): void {
  const others = r.peers - 1;
  console.log(`\nRoom of ${r.peers} (mesh ${meshVersion}): ${r.peers} peers in ${r.processes} processes (peer i in process i % ${ROOM_PROCS}), joining 100 ms apart; relay mode ${ROOM_RELAY}.`);
  const ended = Object.entries(r.processesEnded);
  if (ended.length) console.log(`  ${ended.length} process(es) died during the run (${ended.map(([k, v]) => `#${k}: ${v}`).join(', ')}): ${r.peersLost} peers lost; texts and images after that count the living`);
  console.log(`  every peer lists every other:      ${s(r.allSeenMs)} after the first join`);
  console.log(`  every pair carries (relay/direct): ${s(r.allCarryingMs)} after the first join`);
  console.log(`  links settled (no change for 5 s): ${r.settledMs >= 0 ? `${s(r.settledMs)} after the first join (its last change)` : 'NOT within the wait'}; ${r.changesAfterSettled} link changes after that (last ${s(r.lastLinkChangeMs)} after the first join)`);
  console.log(`  pairs by final link:               ${Object.entries(r.pairKinds).map(([k, v]) => `${k} ${v}`).join(', ')} (of ${(r.peers * others) / 2})`);
  const budget = r.directLinksMax === null ? 'DIRECT_LINKS_MAX not in shared/limits.ts yet' : `${r.directLinksMax === DIRECT_LINKS_MAX ? 'DIRECT_LINKS_MAX' : 'budget (BENCH_ROOM_LINKS)'} ${r.directLinksMax}: ${verdict(r.maxPeerConnections <= r.directLinksMax)}`;
  console.log(`  RTCPeerConnections held by a peer: at most ${r.maxPeerConnections} at once (most made by one peer: ${r.maxPeerConnectionsMade}); ${budget}`);
  console.log(`  a pair carries both ways, from the later peer's join: ${spreadOf(r.pairReady)}; ${r.pairReady.within} of ${r.pairReady.pairs} pairs within ${TARGET_READY_MS} ms: ${verdict(r.pairReady.within === r.pairReady.pairs)}`);
  console.log(`  newcomer's text sent when online, at each peer it then listed, from its join: ${spreadOf(r.joinText)}; ${r.joinText.count} of ${r.joinText.expected} arrived, ${r.joinText.within} within ${TARGET_READY_MS} ms: ${verdict(r.joinText.within === r.joinText.expected)}`);
  for (const { run, texts, spacingMs } of TEXT_RUNS) {
    const { toAll, delivery } = r.texts[run];
    console.log(`  text to all the others (${texts} texts, from each peer in turn, ${spacingMs} ms apart): ${spreadOf(toAll)}; p99 <= ${TARGET_TEXT_P99_MS} ms: ${verdict(toAll.p99 <= TARGET_TEXT_P99_MS)}`);
    console.log(`    per delivery: ${spreadOf(delivery)}; ${delivery.missing} missing`);
  }
  console.log(`  1 MiB image to all the others: median ${ms(r.imageMedianMs)} (rounds: ${r.imageMs.map(ms).join(', ')}); verified receipts ${r.imageReceipts.verified} of ${r.imageReceipts.expected}: ${verdict(r.imageReceipts.verified === r.imageReceipts.expected)}`);
  const cores = availableParallelism();
  const phases = Object.entries(r.cpu).map(([name, { cpuMs, serverCpuMs, wallMs }]) => `${name} ${(cpuMs / 1000).toFixed(1)} s (server ${(serverCpuMs / 1000).toFixed(1)} s) in ${(wallMs / 1000).toFixed(1)} s (${Math.round((100 * cpuMs) / (wallMs * cores))} % of ${cores} cores)`);
  console.log(`  CPU of the server and all room processes: ${phases.join('; ')}`);
  const errors = Object.entries(r.errors);
  if (errors.length) console.log(`  mesh error events: ${errors.map(([k, v]) => `${k} x${v}`).join(', ')}`);
  for (const [code, samples] of Object.entries(r.errorSamples)) for (const sample of samples) console.log(`    ${code}: ${sample}`);
  if (DIRECT_LINKS_MAX === undefined) console.log('  (no direct-link budget in this mesh: every pair tries a direct link)');
}

/** The commit the mesh under test comes from (the bench measures the working tree). */
function meshVersion(): string {
  try {
    return execFileSync('git', ['log', '-1', '--format=%h %s'], { encoding: 'utf8' }).trim().slice(0, 100);
  } catch {
    return 'unknown';
  }
}

export async function roomBench(): Promise<RoomResult> {
  const result = await roomScenario();
  const version = meshVersion();
  const dir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'results');
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, 'room.json'), JSON.stringify({ date: new Date().toISOString(), node: process.version, mesh: version, ...result }, null, 2) + '\n');
  printRoom(result, version);
  return result;
}
