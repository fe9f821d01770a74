// WebSocket test helpers: open, authenticate, and wait for messages or events with a timeout
// (never a sleep).

import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { encodeMessage, type PeerInfo, type ServerMessage, type WelcomeMessage } from '../../shared/protocol';
import { deviceAuth, generateDeviceKey, type DeviceKeyPair } from '../../shared/deviceKey';

export const DEFAULT_TIMEOUT_MS = 3_000;

/** Resolves when `check` returns a value other than undefined; polls every few ms. */
export async function waitFor<T>(check: () => T | undefined | false, timeoutMs = DEFAULT_TIMEOUT_MS, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A ws client that records every JSON message it receives (and binary frames separately). */
export interface TestSocket {
  ws: WebSocket;
  messages: ServerMessage[];
  binary: Buffer[];
  closed: Promise<{ code: number; reason: string }>;
  /** Next message (from index `from` of the log) matching `predicate`. */
  next<T extends ServerMessage = ServerMessage>(predicate?: (m: ServerMessage) => boolean, timeoutMs?: number): Promise<T>;
  nextBinary(timeoutMs?: number): Promise<Buffer>;
  /** The close code and reason, failing after `timeoutMs`. */
  waitClosed(timeoutMs?: number): Promise<{ code: number; reason: string }>;
  send(message: object): void;
  close(): Promise<void>;
}

export function openSocket(url: string, options: WebSocket.ClientOptions = {}): Promise<TestSocket> {
  const ws = new WebSocket(url, options);
  const messages: ServerMessage[] = [];
  const binary: Buffer[] = [];
  let readIndex = 0;
  let binaryIndex = 0;
  ws.on('error', () => {});
  ws.on('message', (data: Buffer, isBinary) => {
    if (isBinary) binary.push(data);
    else messages.push(JSON.parse(data.toString('utf8')) as ServerMessage);
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  const socket: TestSocket = {
    ws,
    messages,
    binary,
    closed,
    async next(predicate = () => true, timeoutMs = DEFAULT_TIMEOUT_MS) {
      const found = await waitFor(
        () => {
          for (let i = readIndex; i < messages.length; i++) {
            if (predicate(messages[i])) {
              readIndex = i + 1;
              return messages[i];
            }
          }
          return undefined;
        },
        timeoutMs,
        'a matching message',
      );
      return found as never;
    },
    async nextBinary(timeoutMs = DEFAULT_TIMEOUT_MS) {
      await waitFor(() => binary.length > binaryIndex, timeoutMs, 'a binary frame');
      return binary[binaryIndex++];
    },
    waitClosed(timeoutMs = DEFAULT_TIMEOUT_MS) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`socket not closed within ${timeoutMs} ms`)), timeoutMs);
      });
      return Promise.race([closed, timeout]).finally(() => clearTimeout(timer));
    },
    send(message) {
      ws.send(JSON.stringify(message));
    },
    async close() {
      if (ws.readyState === WebSocket.CLOSED) return;
      ws.terminate();
      await closed;
    },
  };
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(socket));
    ws.once('error', reject);
    ws.once('close', (code) => reject(new Error(`closed before open (${code})`)));
  });
}

export function newPeerSecret(): string {
  return randomBytes(16).toString('base64url');
}

export interface OnlineSocket extends TestSocket {
  welcome: WelcomeMessage;
  self: PeerInfo;
  /** The device key this socket bound (it signs what a hand-driven peer sends). */
  deviceKey: DeviceKeyPair;
}

/** Opens a socket, authenticates with `token` and waits for the welcome. */
/** A fresh device key's auth fields for `token` (the proof signs it). */
export function deviceFields(token: string, key = generateDeviceKey()): { deviceKey: string; proof: string } {
  return deviceAuth(key, token);
}

export async function connectPeer(url: string, token: string, peerSecret = newPeerSecret(), options: WebSocket.ClientOptions = {}): Promise<OnlineSocket> {
  const socket = await openSocket(url, options);
  const deviceKey = generateDeviceKey();
  socket.ws.send(encodeMessage({ type: 'auth', token, peerSecret, ...deviceFields(token, deviceKey) }));
  const welcome = await socket.next<WelcomeMessage>((m) => m.type === 'welcome' || m.type === 'error');
  if (welcome.type !== 'welcome') {
    await socket.close();
    throw new Error(`auth failed: ${JSON.stringify(welcome)}`);
  }
  return Object.assign(socket, { welcome, self: welcome.self, deviceKey });
}

/** Registers and logs in each name on `server`, then connects them one after the other (in order). */
export async function connectUsers(server: { wsUrl: string; registerAndLogin(name: string): Promise<string> }, names: readonly string[]): Promise<OnlineSocket[]> {
  const tokens = await Promise.all(names.map((name) => server.registerAndLogin(name)));
  const sockets: OnlineSocket[] = [];
  for (const token of tokens) sockets.push(await connectPeer(server.wsUrl, token));
  return sockets;
}

/** The peers a socket currently believes online: its welcome plus every presence message so far. */
export function onlinePeers(socket: OnlineSocket): Set<string> {
  const online = new Set(socket.welcome.peers.map((p) => p.peerId));
  for (const m of socket.messages) {
    if (m.type !== 'presence') continue;
    for (const p of m.joined) online.add(p.peerId);
    for (const id of m.left) online.delete(id);
  }
  return online;
}

/**
 * Opens a WebSocket and closes it at once: resolves with the HTTP status that refused the upgrade,
 * or 101 when it was accepted.
 */
export function upgradeStatus(url: string, options: WebSocket.ClientOptions = {}, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error(`no answer to the upgrade within ${timeoutMs} ms`));
    }, timeoutMs);
    ws.on('error', () => {});
    ws.once('open', () => {
      clearTimeout(timer);
      ws.terminate();
      resolve(101);
    });
    ws.once('unexpected-response', (req, res) => {
      clearTimeout(timer);
      res.resume();
      req.destroy();
      resolve(res.statusCode ?? 0);
    });
  });
}
