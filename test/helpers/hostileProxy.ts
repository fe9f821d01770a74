// A hostile rendezvous server, for end-to-end tests: a WebSocket proxy on 127.0.0.1 in front of a
// real test server, through which every client message and every relayed frame passes, and which
// can read, alter, hold, replay and reroute them, and rewrite signals (swap SDP fingerprints), as a
// server operator could. Tests point meshes at `wsUrl` instead of the server's.

import WebSocket, { WebSocketServer, type RawData } from 'ws';

/** One client's socket as the proxy holds it: the client side and the upstream to the real server. */
export interface ProxiedClient {
  /** Known once the welcome passed. */
  peerId: string | null;
  /** Sends bytes (a relayed frame) or text to the client as if the server did. */
  toClient(data: Uint8Array | string): void;
}

/** What to do with one relayed frame on its way to a client: pass it, drop it, or pass other bytes. */
export type RelayVerdict = 'pass' | 'drop' | Uint8Array;

export interface HostileProxy {
  wsUrl: string;
  clients: ProxiedClient[];
  /** Every relayed frame the server sent on, as the proxy saw it ([id length][sender][payload]). */
  relayed: Uint8Array[];
  /** Decides on each relayed frame to a client (default: pass). */
  onRelay: ((to: ProxiedClient, frame: Uint8Array) => RelayVerdict) | null;
  /** Rewrites any other control message (welcome, presence...) on its way to a client (default: unchanged). */
  onControl: ((to: ProxiedClient, message: Record<string, unknown>) => Record<string, unknown>) | null;
  /** Rewrites a signal's `data` on its way to a client (default: unchanged). */
  onSignal: ((to: ProxiedClient, from: string, data: Record<string, unknown>) => Record<string, unknown>) | null;
  client(peerId: string): ProxiedClient;
  close(): Promise<void>;
}

const bytesOf = (data: RawData): Uint8Array => (Array.isArray(data) ? new Uint8Array(Buffer.concat(data)) : new Uint8Array(data as Buffer));

export async function startHostileProxy(upstreamUrl: string): Promise<HostileProxy> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const { port } = wss.address() as { port: number };
  const proxy: HostileProxy = {
    wsUrl: `ws://127.0.0.1:${port}/ws`,
    clients: [],
    relayed: [],
    onRelay: null,
    onSignal: null,
    onControl: null,
    client(peerId) {
      const found = proxy.clients.find((c) => c.peerId === peerId);
      if (!found) throw new Error(`no proxied client ${peerId}`);
      return found;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of wss.clients) ws.terminate();
        wss.close(() => resolve());
      }),
  };
  wss.on('connection', (down) => {
    const up = new WebSocket(upstreamUrl);
    const early: { data: RawData; isBinary: boolean }[] = [];
    const client: ProxiedClient = {
      peerId: null,
      toClient: (data) => {
        if (down.readyState === WebSocket.OPEN) down.send(data, { binary: typeof data !== 'string' });
      },
    };
    proxy.clients.push(client);
    down.on('message', (data, isBinary) => {
      if (up.readyState === WebSocket.OPEN) up.send(data, { binary: isBinary });
      else early.push({ data, isBinary });
    });
    up.on('open', () => {
      for (const { data, isBinary } of early.splice(0)) up.send(data, { binary: isBinary });
    });
    up.on('message', (data, isBinary) => {
      if (isBinary) {
        const frame = bytesOf(data);
        proxy.relayed.push(frame.slice());
        const verdict = proxy.onRelay ? proxy.onRelay(client, frame) : 'pass';
        if (verdict === 'drop') return;
        return client.toClient(verdict === 'pass' ? frame : verdict);
      }
      const text = data.toString();
      const message = JSON.parse(text) as { type: string; self?: { peerId: string }; from?: string; data?: Record<string, unknown> };
      if (message.type === 'welcome') client.peerId = message.self!.peerId;
      if (message.type === 'signal' && proxy.onSignal) {
        message.data = proxy.onSignal(client, message.from!, message.data!);
        return client.toClient(JSON.stringify(message));
      }
      client.toClient(proxy.onControl ? JSON.stringify(proxy.onControl(client, message)) : text);
    });
    up.on('close', (code, reason) => down.close(code === 1005 ? 1000 : code, reason));
    down.on('close', () => up.close());
    up.on('error', () => down.terminate());
    down.on('error', () => up.terminate());
  });
  return proxy;
}

/** The sender id of a relayed frame as the server stamped it. */
export function relayedSender(frame: Uint8Array): string {
  return String.fromCharCode(...frame.subarray(1, 1 + frame[0]));
}

/** The frame restamped as if `sender` had relayed it (same payload). */
export function restamped(frame: Uint8Array, sender: string): Uint8Array {
  const out = frame.slice();
  for (let i = 0; i < sender.length; i++) out[1 + i] = sender.charCodeAt(i);
  return out;
}
