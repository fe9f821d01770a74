// A client in the coordinator's process, for what must be timed precisely: a join/leave probe,
// and the two ends of the relay and signaling measurements.

import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { encodeMessage, parseServerMessage, type PeerId, type PeerInfo, type ServerMessage } from '../../shared/protocol';
import { deviceAuth, generateDeviceKey } from '../../shared/deviceKey';

/** How long a probe may take to open or be welcomed (ms). */
const PROBE_CONNECT_TIMEOUT_MS = 30_000;

export interface Probe {
  ws: WebSocket;
  self: PeerInfo;
  /** Called with every JSON message after the welcome. */
  onMessage: ((message: ServerMessage) => void) | undefined;
  /** Called with every binary frame. */
  onBinary: ((frame: Buffer) => void) | undefined;
  /** The peers it knows online (its welcome and the presence since). */
  known: Set<PeerId>;
  /** Called after each presence change. */
  onPresence: (() => void) | undefined;
}

/** Resolves once `probe` knows `peerId` online: across nodes a join reaches the other node through Redis. */
export function knows(probe: Probe, peerId: PeerId): Promise<void> {
  return new Promise((resolve, reject) => {
    if (probe.known.has(peerId)) return resolve();
    const timer = setTimeout(() => reject(new Error(`probe: ${peerId} not announced in time`)), PROBE_CONNECT_TIMEOUT_MS);
    probe.onPresence = () => {
      if (!probe.known.has(peerId)) return;
      clearTimeout(timer);
      probe.onPresence = undefined;
      resolve();
    };
  });
}

export function openSocket(wsUrl: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl, { perMessageDeflate: false });
    const timer = setTimeout(() => reject(new Error('probe: open timed out')), PROBE_CONNECT_TIMEOUT_MS);
    ws.once('open', () => {
      clearTimeout(timer);
      resolve(ws);
    });
    ws.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Sends the auth message on an open socket and resolves with the welcomed probe. */
export function authenticate(ws: WebSocket, token: string): Promise<Probe> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('probe: no welcome in time')), PROBE_CONNECT_TIMEOUT_MS);
    let probe: Probe | undefined;
    ws.on('message', (data: Buffer, isBinary) => {
      if (isBinary) return probe?.onBinary?.(data);
      if (probe) {
        const message = parseServerMessage(data.toString('utf8'));
        if (message.type === 'presence') {
          for (const id of message.left) probe.known.delete(id);
          for (const info of message.joined) probe.known.add(info.peerId);
          probe.onPresence?.();
        }
        return probe.onMessage?.(message);
      }
      clearTimeout(timer);
      // The welcome to a room of thousands is ~1 MB: validated like any client's.
      const message = parseServerMessage(data.toString('utf8'));
      if (message.type !== 'welcome') return reject(new Error(`probe: not welcomed: ${JSON.stringify(message)}`));
      probe = { ws, self: message.self, onMessage: undefined, onBinary: undefined, known: new Set(message.peers.map((p) => p.peerId)), onPresence: undefined };
      resolve(probe);
    });
    ws.send(encodeMessage({ type: 'auth', token, peerSecret: randomBytes(16).toString('base64url'), ...deviceAuth(generateDeviceKey(), token) }));
  });
}

export async function connectProbe(wsUrl: string, token: string): Promise<Probe> {
  return authenticate(await openSocket(wsUrl), token);
}

export function closeSocket(ws: WebSocket): Promise<void> {
  return new Promise((resolve) => {
    if (ws.readyState === ws.CLOSED) return resolve();
    ws.once('close', () => resolve());
    ws.close();
  });
}
