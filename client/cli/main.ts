// Headless ChatRoom client: logs in over HTTP, joins the room through the same mesh module as the
// browser, prints the room to stdout and sends stdin lines (and /image PATH) to everyone.

import { readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { nodeWrtc as wrtc } from './nodeWrtc';
import { nodeSha256 } from './nodeSha256';
import { nodeAead } from './nodeAead';
import WebSocket from 'ws';
import { KeptImageRing } from '../mesh/keptImageRing';
import { createMesh } from '../mesh/index';
import type { Mesh, PeerView } from '../mesh/api';
import type { ApiErrorBody, LoginResponse } from '../../shared/api';
import { retryWhenBusy } from '../../shared/busyRetry';
import { ChatError, isErrorCode } from '../../shared/errors';
import { HelpRequested, parseArgs, USAGE, type CliArgs } from './args';
import { cliDeviceKey, cliKeyPins, readDeviceToken, writeDeviceToken } from './deviceState';
import { formatDeviceChanged, formatJoin, formatLeave, formatLink, formatMessage } from './format';
import { nodeCrypto } from './nodeCrypto';

/** Logs in, trying again by itself while the server answers 503 (busy, or its database down). */
async function login(args: CliArgs): Promise<string> {
  try {
    return await retryWhenBusy(() => loginOnce(args), { onWait: (ms) => console.error(`(server busy: trying again in ${Math.ceil(ms / 1000)} s)`) });
  } catch (error) {
    if (error instanceof ChatError) throw new Error(`login failed (${error.code}): ${error.message}`);
    throw error;
  }
}

async function loginOnce(args: CliArgs): Promise<string> {
  const res = await fetch(`${args.httpBase}/api/login`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username: args.user, password: args.password, deviceToken: await readDeviceToken(args.stateDir, args.httpBase, args.user) }),
  }).catch((err: Error) => {
    throw new Error(`cannot reach ${args.httpBase}: ${(err.cause as Error | undefined)?.message ?? err.message}`);
  });
  if (!res.ok) {
    const error = ((await res.json().catch(() => null)) as ApiErrorBody | null)?.error;
    if (error && isErrorCode(error.code)) throw new ChatError(error.code, error.message, { retryAfterSeconds: Number(res.headers.get('Retry-After')) || undefined });
    throw new Error(`login failed (${res.status}): ${res.statusText}`);
  }
  const response = (await res.json()) as LoginResponse;
  await writeDeviceToken(args.stateDir, args.httpBase, args.user, response.device.token);
  return response.token;
}

function watchRoom(mesh: Mesh): void {
  let known = new Map<string, PeerView>();
  mesh.on('peers', (peers) => {
    const next = new Map(peers.map((p) => [p.peerId, p]));
    for (const [id, p] of next) {
      const before = known.get(id);
      if (!before) console.log(formatJoin(p));
      else if (before.link !== p.link && p.link !== 'connecting') console.log(formatLink(p));
    }
    for (const [id, p] of known) if (!next.has(id)) console.log(formatLeave(p));
    known = next;
  });
  mesh.on('message', (m) => {
    console.log(formatMessage(m));
    // Printed is shown for a terminal: the sender may count it as delivered.
    mesh.receipt(m);
  });
  mesh.on('status', (s) => console.error(`(${s})`));
  mesh.on('error', (e) => console.error(`! ${e.code}: ${e.message}`));
  mesh.on('deviceChanged', (p) => console.log(formatDeviceChanged(p)));
}

async function send(mesh: Mesh, kind: 'text' | 'image', value: string): Promise<void> {
  try {
    if (kind === 'text') mesh.sendText(value);
    else await mesh.sendImage(new Uint8Array(await readFile(value)), value.split(/[\\/]/).pop() ?? value);
  } catch (err) {
    console.error(`! ${(err as Error).message}`);
  }
}

/** Resolves once connected and no link is still being set up (or after a while). */
function settled(mesh: Mesh, timeoutMs = 15_000): Promise<void> {
  return new Promise((resolve) => {
    const deadline = Date.now() + timeoutMs;
    const check = () => {
      if ((mesh.status === 'online' && mesh.peers().every((p) => p.link !== 'connecting')) || Date.now() > deadline) resolve();
      else setTimeout(check, 50);
    };
    check();
  });
}

async function main(): Promise<void> {
  let args: CliArgs;
  try {
    args = parseArgs(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof HelpRequested) {
      console.log(USAGE);
      process.exit(0);
    }
    console.error(`${(err as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  const token = await login(args);
  const deviceKey = await cliDeviceKey(args.stateDir, args.httpBase, args.user);
  const mesh = createMesh({ serverUrl: args.wsUrl, token, wrtc, WebSocket, ...nodeCrypto, keptImages: new KeptImageRing(), deviceKey, keyPins: cliKeyPins(args.stateDir, args.httpBase, args.user) });
  watchRoom(mesh);
  let leaving = false;
  const leave = async (code = 0) => {
    if (leaving) return;
    leaving = true;
    await mesh.drained?.(10_000);
    mesh.stop();
    process.exit(code);
  };
  mesh.on('status', (s) => {
    if (s === 'unauthorized') {
      console.error('the server refused this session; log in again');
      process.exit(1);
    }
    if (s === 'outdated') {
      console.error('ChatRoom was updated: the server speaks a newer protocol; update this client (git pull) and run it again');
      process.exit(1);
    }
  });
  process.on('SIGINT', () => void leave());
  mesh.start();
  await settled(mesh);
  for (const item of args.outgoing) await send(mesh, item.kind, item.value);
  if (args.exitAfterSend) return leave();

  const rl = createInterface({ input: process.stdin, terminal: false });
  for await (const line of rl) {
    if (line === '/quit') break;
    if (line.startsWith('/image ')) await send(mesh, 'image', line.slice(7).trim());
    else if (line.trim() !== '') await send(mesh, 'text', line);
  }
  await leave();
}

main().catch((err) => {
  console.error((err as Error).message);
  process.exit(1);
});
