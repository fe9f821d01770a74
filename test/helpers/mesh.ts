// Mesh test helpers: real meshes (wrtc + ws) against a real test server, waits driven by events
// with timeouts (never a sleep), and explicit teardown.

import { suite } from 'uvu';
import { nodeWrtc as wrtc } from '../../client/cli/nodeWrtc';
import { nodeSha256 } from '../../client/cli/nodeSha256';
import { nodeAead } from '../../client/cli/nodeAead';
import SimplePeer from 'simple-peer';
import { encodeMessage } from '../../shared/protocol';
import { FrameType, FRAME_HEADER_BYTES, decodeFrame, encodeFrame } from '../../shared/frames';
import { rogueImageFrames, signedTextFrame, type RogueImageOptions, type RogueSigner } from './rogueFrames';
import { connectPeer, type OnlineSocket } from './ws';
import WebSocket from 'ws';
import { createMesh } from '../../client/mesh/index';
import { sealingFor } from './sealing';
import { signSdp } from '../../shared/e2e/index';
import { decodeRelayEnvelope } from '../../shared/relayEnvelope';
import type { ChatMessage, LinkState, Mesh, MeshError, MeshEvents, MeshOptions, TransferProgress } from '../../client/mesh/api';
import type { MeshTimeouts } from '../../client/mesh/timeouts';
import { startTestServer, type TestServer } from './server';
import { paddedPng } from './imageFixtures';
import { nodeCrypto } from '../../client/cli/nodeCrypto';

/** Timings short enough for tests, long enough for a loaded 2-core machine. */
export const TEST_TIMEOUTS: Partial<MeshTimeouts> = {
  directConnectMs: 4_000,
  disconnectGraceMs: 2_000,
  heartbeatMs: 1_000,
  heartbeatMisses: 5,
  quietGiveUpMs: 5_000,
  retryFirstMs: 500,
  retryMaxMs: 2_000,
  upgradeCalmMs: 300,
  upgradeWaitMaxMs: 2_000,
  reconnectFirstMs: 100,
  reconnectMaxMs: 1_000,
  rejoinGraceMs: 5_000,
};

export interface TestPeer {
  name: string;
  mesh: Mesh;
  messages: ChatMessage[];
  errors: MeshError[];
  progress: TransferProgress[];
}

/**
 * A valid PNG of exactly `size` bytes, mostly random data (in a private chunk that decoders skip),
 * so any corruption on the way shows in the hash. The name predates the structural image check.
 */
export function fakePng(size: number): Uint8Array {
  return paddedPng(size);
}

export function newPeer(name: string, options: MeshOptions): TestPeer {
  const mesh = createMesh({ wrtc, WebSocket, ...nodeCrypto, ...options, timeouts: { ...TEST_TIMEOUTS, ...options.timeouts } });
  const peer: TestPeer = { name, mesh, messages: [], errors: [], progress: [] };
  mesh.on('message', (m) => peer.messages.push(m));
  mesh.on('error', (e) => peer.errors.push(e));
  mesh.on('progress', (p) => peer.progress.push(p));
  return peer;
}

/** Resolves with the first `event` whose payload satisfies `predicate`; `check` is tried at once too. */
export function waitFor<E extends keyof MeshEvents>(
  mesh: Mesh,
  event: E,
  predicate: (...args: Parameters<MeshEvents[E]>) => boolean,
  timeoutMs = 15_000,
  what = String(event),
): Promise<Parameters<MeshEvents[E]>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const off = mesh.on(event, ((...args: Parameters<MeshEvents[E]>) => {
      if (!predicate(...args)) return;
      clearTimeout(timer);
      off();
      resolve(args);
    }) as MeshEvents[E]);
  });
}

/** Waits until `check` holds, re-checking whenever any of the meshes emits anything. */
export function until(peers: TestPeer[], check: () => boolean, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const offs: (() => void)[] = [];
    const done = (err?: Error) => {
      clearTimeout(timer);
      for (const off of offs) off();
      if (err) reject(err);
      else resolve();
    };
    const timer = setTimeout(() => done(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
    const recheck = () => {
      if (check()) done();
    };
    for (const p of peers) {
      for (const event of ['status', 'peers', 'message', 'progress', 'error', 'delivery', 'typing'] as const) offs.push(p.mesh.on(event, recheck));
    }
  });
}

/** Polls `check` (for state no mesh event announces, e.g. frames a rogue peer received). */
export async function pollUntil(check: () => boolean, timeoutMs = 10_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function linkOf(from: TestPeer, to: TestPeer): LinkState | undefined {
  const id = to.mesh.self?.peerId;
  return from.mesh.peers().find((p) => p.peerId === id)?.link;
}

/** Every peer sees every other one with link state `state`. */
export function allLinks(peers: TestPeer[], state: LinkState, timeoutMs = 30_000): Promise<void> {
  return until(
    peers,
    () => peers.every((a) => a.mesh.peers().length === peers.length - 1 && a.mesh.peers().every((p) => p.link === state)),
    timeoutMs,
    `all links ${state}`,
  );
}

/** Texts received (not own) by `peer` from `from`, in order. */
export function textsFrom(peer: TestPeer, from: TestPeer): string[] {
  return peer.messages.filter((m) => !m.own && m.kind === 'text' && m.from.peerId === from.mesh.self?.peerId).map((m) => (m.kind === 'text' ? m.text : ''));
}

export function imagesFrom(peer: TestPeer, from: TestPeer) {
  return peer.messages.filter((m) => !m.own && m.kind === 'image' && m.from.peerId === from.mesh.self?.peerId);
}

export async function startPeers(
  server: { wsUrl: string; registerAndLogin(name: string): Promise<string> },
  names: string[],
  options: Partial<MeshOptions> = {},
): Promise<TestPeer[]> {
  const tokens = await Promise.all(names.map((n) => server.registerAndLogin(n)));
  const peers = names.map((name, i) => newPeer(name, { serverUrl: server.wsUrl, token: tokens[i], ...options }));
  await Promise.all(peers.map((p) => { const online = waitFor(p.mesh, 'status', (s) => s === 'online', 15_000, `${p.name} online`); p.mesh.start(); return online; }));
  return peers;
}

export function stopAll(peers: TestPeer[]): void {
  for (const p of peers) p.mesh.stop();
}

/** Strips every ICE candidate from a simple-peer signal (SDP lines and trickled ones): the link can never open. */
export function stripCandidates(data: Record<string, unknown>): Record<string, unknown> | null {
  if (data.type === 'candidate' || 'candidate' in data) return null;
  if (typeof data.sdp === 'string') return { ...data, sdp: data.sdp.split(/\r?\n/).filter((l) => !l.startsWith('a=candidate')).join('\r\n') };
  return data;
}

/** Silently cuts the direct link between two peers on both ends (test seam of MeshImpl). */
export function cutDirect(a: TestPeer, b: TestPeer): void {
  (a.mesh as unknown as { cutDirectLink(id: string): void }).cutDirectLink(b.mesh.self!.peerId);
  (b.mesh as unknown as { cutDirectLink(id: string): void }).cutDirectLink(a.mesh.self!.peerId);
}

export interface MeshSuiteContext {
  server: TestServer;
  peers: TestPeer[];
  /** Extra cleanup (raw sockets, links) run after each test. */
  cleanup: (() => void | Promise<void>)[];
}

/** A uvu suite with a fresh test server per test and every peer stopped after it. */
export function meshSuite(name: string, serverOptions: Parameters<typeof startTestServer>[0] = {}) {
  const s = suite<MeshSuiteContext>(name, { server: undefined as never, peers: [], cleanup: [] });
  s.before.each(async (ctx) => {
    ctx.server = await startTestServer(serverOptions);
    ctx.peers = [];
    ctx.cleanup = [];
  });
  s.after.each(async (ctx) => {
    stopAll(ctx.peers);
    for (const c of ctx.cleanup) await c();
    await ctx.server.stop();
  });
  return s;
}

// ---- a hand-driven peer for bad-frame tests ---------------------------------------------------
// A raw authenticated socket plus a raw simple-peer data channel to one mesh (following the mesh's
// attempt protocol), through which it can send any bytes, directly or through the relay.

export interface RoguePeer {
  socket: OnlineSocket;
  peerId: string;
  /** Signs as this socket's own device and account (what an honest sender would do). */
  signer: RogueSigner;
  /** A TEXT frame signed by `signer`. */
  text(id: string, seq: number, body: { sentAt: number; text: string; base: number }): Uint8Array;
  /** Frames the mesh sent back to us (over either path). */
  received: Uint8Array[];
  sendDirect(bytes: Uint8Array): void;
  sendRelay(bytes: Uint8Array): void;
  close(): Promise<void>;
}

/** Sends an image by hand through `rogue` (see rogueImageFrames). Returns its id. */
export function rogueSendImage(rogue: RoguePeer, via: 'sendDirect' | 'sendRelay', bytes: Uint8Array, options: RogueImageOptions = {}): string {
  const { id, frames } = rogueImageFrames(bytes, { signer: rogue.signer, ...options });
  for (const frame of frames) rogue[via](frame);
  return id;
}

/** The REJECT frame the mesh sent back to `rogue` for message `id`, if any yet. */
export function rejectionOf(rogue: RoguePeer, id: string) {
  // Over the relay (a direct link gone quiet on a loaded machine) several frames come as one BUNDLE.
  const frames = rogue.received.map((b) => decodeFrame(b)).flatMap((f) => (f.type === FrameType.BUNDLE ? f.body.map((inner) => decodeFrame(inner)) : [f]));
  return frames.find((f) => f.type === FrameType.REJECT && f.id === id);
}

/** Joins as `token`'s user and opens a direct channel to `target` (following the mesh's attempt protocol). */
export async function openRoguePeer(wsUrl: string, token: string, target: TestPeer, timeoutMs = 15_000): Promise<RoguePeer> {
  const socket = await connectPeer(wsUrl, token);
  const targetId = target.mesh.self!.peerId;
  const received: Uint8Array[] = [];
  const sealing = sealingFor(socket, (id) => (id === targetId ? target.mesh.self! : undefined));
  const initiator = socket.self.peerId < targetId;
  let attempt = initiator ? 'rogue-attempt' : '';
  const Ctor = SimplePeer as unknown as new (o: object) => SimplePeer.Instance;
  let peer: SimplePeer.Instance | null = null;
  const makePeer = () => {
    const p = new Ctor({ initiator, wrtc, trickle: true });
    p.on('signal', (signal: { type?: string; sdp?: string }) => {
      // Signed like a mesh's SDP, or the mesh would refuse the link (shared/e2e/dtlsBinding.ts).
      const dtls = signal.sdp ? signSdp(socket.deviceKey, attempt, String(signal.type), signal.sdp, target.mesh.self!.deviceKey) : null;
      socket.ws.send(encodeMessage({ type: 'signal', to: targetId, data: { attempt, signal, ...(dtls && { dtls }) } as Record<string, unknown> }));
    });
    p.on('data', (data: Uint8Array) => {
      if (data.byteLength === FRAME_HEADER_BYTES && data[1] === FrameType.PING) p.send(encodeFrame(FrameType.PONG, undefined, 0));
      else received.push(new Uint8Array(data));
    });
    p.on('error', () => {});
    // The mesh's urgent lane (peerLink.ts): control frames such as REJECT come back on it.
    const pc = (p as unknown as { _pc: { createDataChannel(l: string, o: object): { binaryType: string; onmessage: ((e: { data: ArrayBuffer }) => void) | null } } })._pc;
    const lane = pc.createDataChannel('urgent', { negotiated: true, id: 1023 });
    lane.binaryType = 'arraybuffer';
    lane.onmessage = (e) => received.push(new Uint8Array(e.data));
    return p;
  };
  if (initiator) peer = makePeer();
  socket.ws.on('message', (data: Buffer, isBinary: boolean) => {
    if (isBinary) {
      const { peerId, payload } = decodeRelayEnvelope(new Uint8Array(data));
      if (peerId === targetId) received.push(new Uint8Array(sealing.open(targetId, payload)));
      return;
    }
    const m = JSON.parse(data.toString()) as { type: string; from?: string; data?: { attempt: string; signal?: object; ask?: boolean } };
    if (m.type !== 'signal' || m.from !== targetId || !m.data) return;
    if (!initiator && m.data.ask === true) {
      // The mesh asks for a slot before it offers (shared/peerSignal.ts): granted.
      socket.ws.send(encodeMessage({ type: 'signal', to: targetId, data: { attempt: m.data.attempt, grant: true } }));
      return;
    }
    if (!m.data.signal) return;
    if (!initiator && m.data.attempt !== attempt) {
      peer?.destroy();
      attempt = m.data.attempt;
      peer = makePeer();
    }
    peer?.signal(m.data.signal as SimplePeer.SignalData);
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('rogue peer: no direct channel')), timeoutMs);
    const check = setInterval(() => {
      if (peer && (peer as unknown as { connected: boolean }).connected) {
        clearTimeout(timer);
        clearInterval(check);
        resolve();
      }
    }, 10);
  });
  const signer = { key: socket.deviceKey, author: socket.self.username };
  return {
    socket,
    peerId: socket.self.peerId,
    signer,
    text: (id, seq, body) => signedTextFrame(signer, id, seq, body),
    received,
    sendDirect: (bytes) => peer!.send(bytes),
    sendRelay: (bytes) => {
      // A peer of the room, so it seals what it relays as every peer must (only the frames inside are rogue).
      socket.ws.send(sealing.request(targetId, bytes));
    },
    async close() {
      peer?.destroy();
      await socket.close();
    },
  };
}
