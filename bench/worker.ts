// One benchmark peer in its own process: a real mesh (wrtc + ws), driven over IPC by
// bench/mesh.bench.ts. Also plays the raw-ws baseline ends ('ws-sink' / 'ws-source') and the
// bare relay ('ws-hub' forwarding a source's messages to its 'ws-hub-sink's: no mesh; optionally
// with the hashing and reassembly that any relayed image needs).

import { nodeWrtc as wrtc } from '../client/cli/nodeWrtc';
import { nodeSha256 } from '../client/cli/nodeSha256';
import { nodeAead } from '../client/cli/nodeAead';
import type { Sha256Hasher } from '../shared/sha256';
import SimplePeer from 'simple-peer';
import WebSocket, { WebSocketServer } from 'ws';
import { KeptImageRing } from '../client/mesh/keptImageRing';
import { createMesh } from '../client/mesh/index';
import type { ChatMessage, Mesh } from '../client/mesh/api';
import { CHUNK_BYTES } from '../shared/limits';
import { paddedPng } from '../test/helpers/imageFixtures';
import { uninitializedBytes } from '../shared/uninitializedBytes';
import { nodeCrypto } from '../client/cli/nodeCrypto';
import { profileFromHere, writeProfile } from './roundProfile';

// Named after its part (e.g. force8p0), so `ps` and `perf report --sort comm` tell the processes apart.
if (process.env.BENCH_ROLE) process.title = `b-${process.env.BENCH_ROLE}`;

export type ToWorker =
  /** `plainRelay`: relay unencrypted (MeshOptions.plainRelay), to time what sealing costs in the same run. */
  | { cmd: 'start'; wsUrl: string; token: string; plainRelay?: boolean }
  | { cmd: 'texts'; run: string; count: number; intervalMs: number }
  | { cmd: 'image'; run: string; size: number }
  | { cmd: 'ws-sink'; size: number }
  | { cmd: 'ws-hub' }
  | { cmd: 'ws-hub-sink'; url: string; size: number; verify?: boolean }
  | { cmd: 'ws-source'; urls: string[]; size: number; round: number; chunkBytes?: number; hash?: boolean }
  | { cmd: 'dc-send'; round: number }
  | { cmd: 'dc'; initiator: boolean; size: number; link: number }
  | { cmd: 'dc-signal'; data: object; link: number }
  | { cmd: 'stop' };

export type FromWorker =
  | { ev: 'ready' }
  | { ev: 'online'; peerId: string }
  | { ev: 'links'; links: string[] }
  | { ev: 'texts-done'; run: string; latenciesMs: number[] }
  | { ev: 'image-sent'; run: string; startedAt: number; sha256: string }
  | { ev: 'image-received'; run: string; receivedAt: number; sha256: string }
  | { ev: 'ws-listening'; port: number }
  /** `verified`: false when the receiver checked the bytes and they were wrong (absent: not checked). */
  | { ev: 'ws-received'; receivedAt: number; round: number; verified?: boolean }
  | { ev: 'ws-started'; startedAt: number; round: number }
  | { ev: 'dc-ready'; link: number }
  | { ev: 'dc-signal'; data: object; link: number }
  | { ev: 'error'; message: string };

/** Wall clock with sub-millisecond resolution, comparable across processes on one host. */
const now = () => performance.timeOrigin + performance.now();
const send = (m: FromWorker) => process.send!(m);

/**
 * A valid PNG of `size` bytes (it must pass the mesh's structural image check), mostly random data.
 * Made once per size, as a picked file exists before it is sent: a fresh 5 MiB per round would
 * only add garbage-collection work (external memory) to the rounds being timed.
 */
const images = new Map<number, Uint8Array>();
const pngOf = (size: number): Uint8Array => images.get(size) ?? images.set(size, paddedPng(size)).get(size)!;

let mesh: Mesh | null = null;
/** Raw data channels by link number (a source has one per sink). */
const rawPeers = new Map<number, SimplePeer.Instance>();
let rawSize = 0;

/** Raw simple-peer data channel, same chunks and backpressure, no mesh: how fast wrtc itself goes. */
function rawChannel(initiator: boolean, size: number, link: number): void {
  const Ctor = SimplePeer as unknown as new (o: object) => SimplePeer.Instance;
  const peer = new Ctor({ initiator, wrtc, trickle: true });
  rawPeers.set(link, peer);
  peer.on('signal', (data: object) => send({ ev: 'dc-signal', data, link }));
  peer.on('error', () => {});
  let got = 0;
  let round = 0;
  peer.on('data', (d: Uint8Array) => {
    got += d.byteLength;
    if (got < size) return;
    got -= size;
    send({ ev: 'ws-received', receivedAt: now(), round: round++ });
  });
  if (initiator) peer.on('connect', () => send({ ev: 'dc-ready', link }));
}

interface RawTarget {
  buffered(): number;
  send(chunk: Uint8Array): void;
}

/**
 * The same bytes to every target, chunk by chunk in turn (as the mesh's per-peer queues do), with the
 * mesh's polled backpressure. `hash`: SHA-256 of the bytes as they go (what a sender must do).
 */
function sendToAll(targets: RawTarget[], bytes: Uint8Array, chunkBytes = CHUNK_BYTES, hash = false): void {
  const offsets = targets.map(() => 0);
  const hasher = hash ? nodeSha256() : null;
  let hashed = 0;
  const pump = () => {
    let blocked = false;
    for (let more = true; more; ) {
      more = false;
      targets.forEach((target, i) => {
        if (offsets[i] >= bytes.byteLength) return;
        if (target.buffered() > 1024 * 1024) return void (blocked = true);
        const piece = bytes.subarray(offsets[i], offsets[i] + chunkBytes);
        if (hasher && offsets[i] === hashed) {
          hasher.update(piece);
          hashed += piece.byteLength;
        }
        target.send(piece);
        offsets[i] += chunkBytes;
        more = true;
      });
    }
    if (blocked) setTimeout(pump, 5);
    else if (hasher && hashed === bytes.byteLength) hasher.digestHex();
  };
  pump();
}

/** One transfer over every raw channel. */
function rawSend(round: number): void {
  const targets = [...rawPeers.values()].map((peer) => ({
    buffered: () => (peer as unknown as { bufferSize: number }).bufferSize,
    send: (chunk: Uint8Array) => peer.send(chunk),
  }));
  send({ ev: 'ws-started', startedAt: now(), round });
  sendToAll(targets, pngOf(rawSize));
}
/**
 * Latencies of the texts of each run so far. Every text names its run and the run's size, and an
 * image's name is its run: a receiver needs no notice of what comes, so there is no race between
 * the coordinator's message to it and the first text or image reaching it.
 */
const textRuns = new Map<string, number[]>();

function onMeshMessage(msg: ChatMessage): void {
  if (msg.own) return;
  if (msg.kind === 'text') {
    const body = JSON.parse(msg.text) as { run: string; of: number; t: number };
    const latencies = textRuns.get(body.run) ?? textRuns.set(body.run, []).get(body.run)!;
    latencies.push(now() - body.t);
    if (latencies.length < body.of) return;
    textRuns.delete(body.run);
    send({ ev: 'texts-done', run: body.run, latenciesMs: latencies });
  } else if (msg.name.endsWith('.png')) {
    profileFromHere('mesh-receiver');
    // The mesh verified the SHA-256 before delivering; the parent compares it with the sender's.
    send({ ev: 'image-received', run: msg.name.slice(0, -'.png'.length), receivedAt: now(), sha256: msg.sha256 });
  }
}

process.on('message', async (m: ToWorker) => {
  switch (m.cmd) {
    case 'start': {
      mesh = createMesh({ serverUrl: m.wsUrl, token: m.token, wrtc, WebSocket, ...nodeCrypto, keptImages: new KeptImageRing(), ...(m.plainRelay && { plainRelay: true }) });
      mesh.on('status', (s) => s === 'online' && send({ ev: 'online', peerId: mesh!.self!.peerId }));
      mesh.on('peers', (peers) => send({ ev: 'links', links: peers.map((p) => p.link) }));
      mesh.on('message', onMeshMessage);
      mesh.on('error', (e) => send({ ev: 'error', message: `${e.code} ${e.message}` }));
      if (process.env.BENCH_TRACE) {
        // Where an image's time goes: first and last chunk on each side.
        mesh.on('progress', (p) => {
          if (p.bytes <= 65_536 || p.bytes === p.total) send({ ev: 'error', message: `trace ${p.direction} ${p.peerId.slice(0, 4)} ${p.bytes} done=${p.done} at ${now().toFixed(1)}` });
        });
      }
      mesh.start();
      return;
    }
    case 'texts': {
      for (let i = 0; i < m.count; i++) {
        mesh!.sendText(JSON.stringify({ run: m.run, of: m.count, i, t: now() }));
        await new Promise((r) => setTimeout(r, m.intervalMs));
      }
      return;
    }
    case 'image': {
      profileFromHere('mesh-sender');
      const bytes = pngOf(m.size);
      const startedAt = now();
      const own = await mesh!.sendImage(bytes, `${m.run}.png`);
      if (process.env.BENCH_TRACE) send({ ev: 'error', message: `trace sendImage returned after ${(now() - startedAt).toFixed(1)} ms, started ${startedAt.toFixed(1)}` });
      send({ ev: 'image-sent', run: m.run, startedAt, sha256: own.sha256 });
      return;
    }
    case 'ws-sink': {
      const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 1024 * 1024 });
      let round = 0;
      wss.on('connection', (ws) => {
        let got = 0;
        ws.on('message', (data: Buffer) => {
          got += data.byteLength;
          if (got >= m.size) {
            send({ ev: 'ws-received', receivedAt: now(), round: round++ });
            ws.close();
          }
        });
      });
      wss.on('listening', () => send({ ev: 'ws-listening', port: (wss.address() as { port: number }).port }));
      return;
    }
    case 'ws-hub': {
      // Every message from a /source socket goes, as it is, to every /sink socket.
      const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, maxPayload: 1024 * 1024 });
      const sinks = new Set<WebSocket>();
      wss.on('connection', (ws, req) => {
        if (req.url === '/sink') {
          sinks.add(ws);
          ws.on('close', () => sinks.delete(ws));
          return;
        }
        ws.on('message', (data: Buffer) => {
          for (const sink of sinks) sink.send(data, { binary: true });
        });
      });
      wss.on('listening', () => send({ ev: 'ws-listening', port: (wss.address() as { port: number }).port }));
      return;
    }
    case 'ws-hub-sink': {
      // verify: what any receiver of an image must do, reassemble it and check its SHA-256.
      const ws = new WebSocket(m.url);
      let got = 0;
      let round = 0;
      let image: Uint8Array | null = null;
      let hasher: Sha256Hasher | null = null;
      ws.on('message', (data: Buffer) => {
        if (m.verify) {
          // Made at an image's first message, as the mesh does at its start (and allocated as it is): inside the timed round.
          if (got === 0) [image, hasher] = [uninitializedBytes(m.size), nodeSha256()];
          image!.set(data.subarray(0, m.size - got), got);
          hasher!.update(data);
        }
        got += data.byteLength;
        if (got < m.size) return;
        got -= m.size;
        hasher?.digestHex();
        send({ ev: 'ws-received', receivedAt: now(), round: round++ });
      });
      ws.on('open', () => send({ ev: 'ws-listening', port: 0 }));
      return;
    }
    case 'ws-source': {
      // One socket per receiver (see sendToAll).
      const bytes = pngOf(m.size);
      const sockets = m.urls.map((url) => new WebSocket(url));
      let opened = 0;
      for (const ws of sockets) {
        ws.on('open', () => {
          if (++opened < sockets.length) return;
          send({ ev: 'ws-started', startedAt: now(), round: m.round });
          sendToAll(sockets.map((s) => ({ buffered: () => s.bufferedAmount, send: (chunk: Uint8Array) => s.send(chunk) })), bytes, m.chunkBytes, m.hash);
        });
      }
      return;
    }
    case 'dc':
      rawSize = m.size;
      return rawChannel(m.initiator, m.size, m.link);
    case 'dc-send':
      return rawSend(m.round);
    case 'dc-signal':
      return rawPeers.get(m.link)?.signal(m.data as SimplePeer.SignalData);
    case 'stop':
      writeProfile();
      for (const peer of rawPeers.values()) peer.destroy();
      mesh?.stop();
      process.disconnect();
      setTimeout(() => process.exit(0), 200).unref();
      return;
  }
});

send({ ev: 'ready' });
