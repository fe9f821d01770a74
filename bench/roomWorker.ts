// One process of the room bench (bench/room.ts): several mesh peers side by side, each with its own
// wrtc whose RTCPeerConnection constructor is wrapped to count the connections the peer really
// holds (made and not yet closed), whatever the mesh does inside. Everything a peer sees (its
// join, the moment it lists the whole room, every link change, every text and image it gets) is
// stamped with the host's wall clock and sent to the coordinator in batches.

import { createHash } from 'node:crypto';
import WebSocket from 'ws';
import { nodeWrtc } from '../client/cli/nodeWrtc';
import { watchLoopStalls } from './loopStalls';
import { nodeSha256 } from '../client/cli/nodeSha256';
import { nodeAead } from '../client/cli/nodeAead';
import { KeptImageRing } from '../client/mesh/keptImageRing';
import { createMesh } from '../client/mesh/index';
import type { ChatMessage, Mesh, PeerView } from '../client/mesh/api';
import { paddedPng } from '../test/helpers/imageFixtures';
import { roomIndexOf as indexOf } from './roomState';
import { nodeCrypto } from '../client/cli/nodeCrypto';

export type ToRoomWorker =
  | { cmd: 'join'; index: number; wsUrl: string; token: string; roomSize: number }
  | { cmd: 'text'; index: number; run: string; i: number }
  | { cmd: 'image'; index: number; run: string; size: number }
  | { cmd: 'stop' };

export type RoomEvent =
  | { k: 'joined'; index: number; at: number }
  /** `listed`: the peers it knows then, to whom its join text goes. */
  | { k: 'online'; index: number; at: number; listed: number }
  /** The peer lists every other member of the room. */
  | { k: 'all-seen'; index: number; at: number }
  /** `index`'s link to `peer` is now `link`. */
  | { k: 'link'; index: number; peer: number; link: string; at: number }
  | { k: 'pcs'; index: number; open: number; made: number; at: number }
  | { k: 'text'; index: number; from: number; run: string; i: number; sentAt: number; at: number }
  /** `ok`: this process's own SHA-256 of the delivered bytes equals the digest the mesh verified. */
  | { k: 'image'; index: number; from: number; run: string; at: number; sha256: string; ok: boolean }
  | { k: 'image-sent'; index: number; run: string; startedAt: number; sha256: string }
  | { k: 'error'; index: number; code: string; message: string; at: number };

export type FromRoomWorker = { ev: 'ready' } | { ev: 'batch'; events: RoomEvent[] };

/** Wall clock with sub-millisecond resolution, comparable across processes on one host. */
const now = () => performance.timeOrigin + performance.now();


// ---- batching --------------------------------------------------------------------------------
let batch: RoomEvent[] = [];
let flushTimer: NodeJS.Timeout | null = null;
/** Events wait at most this long (ms): their times are stamped when they happen, not when sent. */
const BATCH_MS = 25;

function emit(event: RoomEvent): void {
  batch.push(event);
  flushTimer ??= setTimeout(() => {
    flushTimer = null;
    const events = batch;
    batch = [];
    // A coordinator that is gone takes nothing more (the error is not this process's to raise).
    if (process.connected) process.send!({ ev: 'batch', events } satisfies FromRoomWorker, undefined, {}, () => {});
  }, BATCH_MS);
}

// ---- counting RTCPeerConnections --------------------------------------------------------------
type PeerConnectionCtor = new (...args: unknown[]) => { close(): void };

/** `nodeWrtc` with a constructor that reports every connection made and closed for peer `index`. */
function countingWrtc(index: number): unknown {
  const Native = (nodeWrtc as { RTCPeerConnection: PeerConnectionCtor }).RTCPeerConnection;
  let open = 0;
  let made = 0;
  function RTCPeerConnection(this: unknown, ...args: unknown[]): object {
    const pc = new Native(...args);
    open++;
    made++;
    emit({ k: 'pcs', index, open, made, at: now() });
    const close = pc.close.bind(pc);
    let closed = false;
    pc.close = () => {
      if (!closed) {
        closed = true;
        open--;
        emit({ k: 'pcs', index, open, made, at: now() });
      }
      close();
    };
    return pc;
  }
  RTCPeerConnection.prototype = Native.prototype;
  return { ...(nodeWrtc as object), RTCPeerConnection };
}

// ---- ICE-TCP -----------------------------------------------------------------------------------
/**
 * Drops ICE-TCP candidates (SDP lines and trickled ones) unless BENCH_ROOM_ICE_TCP=1. Why: with a few
 * dozen connections checking at once in one process, wrtc opens TCP sockets for them by the
 * thousand (measured here: 20 pairs connecting at once held ~11,000 descriptors, 40 pairs passed the
 * 20,000 limit and the process died; with no TCP candidates 80 pairs peaked at ~5,700). On a LAN
 * the UDP candidates link every pair; the TCP ones only add work.
 */
const KEEP_ICE_TCP = process.env.BENCH_ROOM_ICE_TCP === '1';
const isTcpCandidate = (line: string) => / tcp /i.test(line);

function withoutIceTcp(_to: string, data: Record<string, unknown>): Record<string, unknown> | null {
  const trickled = data.candidate as { candidate?: unknown } | undefined;
  if (data.type === 'candidate' || trickled) return typeof trickled?.candidate === 'string' && isTcpCandidate(trickled.candidate) ? null : data;
  if (typeof data.sdp === 'string') return { ...data, sdp: data.sdp.split('\r\n').filter((l) => !(l.startsWith('a=candidate') && isTcpCandidate(l))).join('\r\n') };
  return data;
}

// ---- peers -------------------------------------------------------------------------------------
interface RoomPeer {
  mesh: Mesh;
  links: Map<number, string>;
  sawAll: boolean;
  online: boolean;
}
const peers = new Map<number, RoomPeer>();
const images = new Map<number, Uint8Array>();

function onPeers(index: number, peer: RoomPeer, roomSize: number, list: PeerView[]): void {
  const at = now();
  for (const view of list) {
    const other = indexOf(view.username);
    if (peer.links.get(other) === view.link) continue;
    peer.links.set(other, view.link);
    emit({ k: 'link', index, peer: other, link: view.link, at });
  }
  if (!peer.sawAll && list.length >= roomSize - 1) {
    peer.sawAll = true;
    emit({ k: 'all-seen', index, at });
  }
}

function onMessage(index: number, msg: ChatMessage): void {
  // A message said before this peer joined, passed on by another (history from peers), is no live delivery.
  if (msg.own || msg.via) return;
  const at = now();
  const from = indexOf(msg.from.username);
  if (msg.kind === 'text') {
    const body = JSON.parse(msg.text) as { run: string; i: number; t: number };
    emit({ k: 'text', index, from, run: body.run, i: body.i, sentAt: body.t, at });
  } else {
    // The mesh checked the digest before delivering; hash the delivered bytes again here, independently.
    const own = createHash('sha256').update(msg.bytes).digest('hex');
    emit({ k: 'image', index, from, run: msg.name.replace(/\.png$/, ''), at, sha256: msg.sha256, ok: own === msg.sha256 });
  }
}

function join(m: Extract<ToRoomWorker, { cmd: 'join' }>): void {
  const mesh = createMesh({
    serverUrl: m.wsUrl,
    token: m.token,
    wrtc: countingWrtc(m.index),
    WebSocket,
    ...nodeCrypto,
    keptImages: new KeptImageRing(),
    ...(!KEEP_ICE_TCP && { filterSignal: withoutIceTcp }),
    ...(process.env.BENCH_ROOM_LINKS && { directLinksMax: Number(process.env.BENCH_ROOM_LINKS) }),
  });
  const peer: RoomPeer = { mesh, links: new Map(), sawAll: false, online: false };
  peers.set(m.index, peer);
  mesh.on('peers', (list) => onPeers(m.index, peer, m.roomSize, list));
  mesh.on('message', (msg) => onMessage(m.index, msg));
  mesh.on('error', (e) => emit({ k: 'error', index: m.index, code: e.code, message: e.message.slice(0, 160), at: now() }));
  mesh.on('status', (s) => {
    if (s !== 'online' || peer.online) return;
    peer.online = true;
    const at = now();
    emit({ k: 'online', index: m.index, at, listed: mesh.peers().length });
    // A text to everyone already there, sent the moment the room is known: when does it arrive?
    mesh.sendText(JSON.stringify({ run: 'join', i: m.index, t: at }));
  });
  emit({ k: 'joined', index: m.index, at: now() });
  mesh.start();
}

process.on('message', async (m: ToRoomWorker) => {
  switch (m.cmd) {
    case 'join':
      return join(m);
    case 'text':
      peers.get(m.index)?.mesh.sendText(JSON.stringify({ run: m.run, i: m.i, t: now() }));
      return;
    case 'image': {
      const bytes = images.get(m.size) ?? images.set(m.size, paddedPng(m.size)).get(m.size)!;
      const startedAt = now();
      const own = await peers.get(m.index)!.mesh.sendImage(bytes, `${m.run}.png`);
      emit({ k: 'image-sent', index: m.index, run: m.run, startedAt, sha256: own.sha256 });
      return;
    }
    case 'stop': {
      const { count, totalMs, longestMs } = loopStalls();
      console.error(`room process ${process.pid}: ${count} event-loop stalls >= 100 ms, ${(totalMs / 1000).toFixed(1)} s in all, longest ${Math.round(longestMs)} ms`);
      for (const peer of peers.values()) peer.mesh.stop();
      process.disconnect();
      setTimeout(() => process.exit(0), 200).unref();
      return;
    }
  }
});

const loopStalls = watchLoopStalls();
process.send!({ ev: 'ready' } satisfies FromRoomWorker);
