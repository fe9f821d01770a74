// The Socket.IO room relay baseline (issue 10, point 4): what people would write instead of the
// mesh's relay. One process plays one part, driven over IPC by bench/socketioRelay.ts:
// - 'sio-server': a Socket.IO server that puts every client in one room and re-emits each chunk
//   it gets to the rest of the room (socket.to(room).emit), nothing more;
// - 'sio-sink': a receiver that reassembles the image and checks its SHA-256 against the digest
//   the sender emits after the last chunk;
// - 'sio-source': the sender, which emits the image in 64 KiB chunks, hashing them as they go.
// Clients use the WebSocket transport only (no long-polling start), as a LAN app would configure it.

import { createHash, type Hash } from 'node:crypto';
import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { io, type Socket } from 'socket.io-client';
import { CHUNK_BYTES } from '../shared/limits';
import { paddedPng } from '../test/helpers/imageFixtures';
import { uninitializedBytes } from '../shared/uninitializedBytes';
import type { FromWorker } from './worker';
import { profileFromHere, writeProfile } from './roundProfile';

// Named after its part (e.g. force8p0), so `ps` and `perf report --sort comm` tell the processes apart.
if (process.env.BENCH_ROLE) process.title = `b-${process.env.BENCH_ROLE}`;

export type ToSocketIoWorker =
  | { cmd: 'sio-server' }
  | { cmd: 'sio-sink'; url: string; size: number }
  | { cmd: 'sio-source'; url: string; size: number; round: number }
  | { cmd: 'stop' };

const ROOM = 'room';
const now = () => performance.timeOrigin + performance.now();
const send = (m: FromWorker) => process.send!(m);

function server(): void {
  const http = createServer();
  // A 64 KiB chunk and its packet header fit the default 1 MB limit; set it anyway, as ws's maxPayload is.
  const sio = new Server(http, { maxHttpBufferSize: 1024 * 1024, transports: ['websocket'] });
  sio.on('connection', (socket) => {
    void socket.join(ROOM);
    socket.on('chunk', (chunk: Buffer) => socket.to(ROOM).emit('chunk', chunk));
    socket.on('end', (digest: string) => socket.to(ROOM).emit('end', digest));
  });
  http.listen(0, '127.0.0.1', () => send({ ev: 'ws-listening', port: (http.address() as { port: number }).port }));
}

function connect(url: string): Socket {
  return io(url, { transports: ['websocket'], reconnection: false });
}

function sink(url: string, size: number): void {
  const socket = connect(url);
  let round = 0;
  let got = 0;
  let image: Uint8Array | null = null;
  let hash: Hash | null = null;
  socket.on('chunk', (chunk: Buffer) => {
    // Made at an image's first chunk, as the mesh does at its start (and allocated as it is): inside the timed round.
    if (got === 0) [image, hash] = [uninitializedBytes(size), createHash('sha256')];
    image!.set(chunk.subarray(0, size - got), got);
    hash!.update(chunk);
    got += chunk.byteLength;
  });
  socket.on('end', (digest: string) => {
    profileFromHere('sio-sink');
    const verified = got === size && hash?.digest('hex') === digest;
    got = 0;
    send({ ev: 'ws-received', receivedAt: now(), round: round++, verified });
  });
  socket.on('connect', () => send({ ev: 'ws-listening', port: 0 }));
}

let source: Socket | null = null;
const images = new Map<number, Uint8Array>();

function sourceRound(url: string, size: number, round: number): void {
  const bytes = images.get(size) ?? images.set(size, paddedPng(size)).get(size)!;
  const go = () => {
    if (round > 0) profileFromHere('sio-source');
    send({ ev: 'ws-started', startedAt: now(), round });
    const hash = createHash('sha256');
    for (let at = 0; at < size; at += CHUNK_BYTES) {
      const chunk = bytes.subarray(at, at + CHUNK_BYTES);
      hash.update(chunk);
      source!.emit('chunk', chunk);
    }
    source!.emit('end', hash.digest('hex'));
  };
  if (source?.connected) return go();
  source = connect(url);
  source.once('connect', go);
}

process.on('message', (m: ToSocketIoWorker) => {
  switch (m.cmd) {
    case 'sio-server':
      return server();
    case 'sio-sink':
      return sink(m.url, m.size);
    case 'sio-source':
      return sourceRound(m.url, m.size, m.round);
    case 'stop':
      writeProfile();
      source?.close();
      process.disconnect();
      setTimeout(() => process.exit(0), 200).unref();
      return;
  }
});

send({ ev: 'ready' });
