// A client of the room made of the real SignalingClient (what the page and the CLI use), recording
// what the mesh would be handed: each welcome (as received on the wire, and the whole room the
// signaling client makes of it), each presence batch, each server error.

import WebSocket from 'ws';
import { SignalingClient } from '../../client/mesh/signalingClient';
import type { ConnectionStatus } from '../../client/mesh/api';
import { generateDeviceKey } from '../../shared/deviceKey';
import { generateSessionKey } from '../../shared/e2e/index';
import type { ErrorMessage, PeerId, PresenceMessage, SignalData, WelcomeMessage } from '../../shared/protocol';
import { newPeerSecret, waitFor } from './ws';

export class RoomClient {
  readonly welcomes: { wire: WelcomeMessage; handed: WelcomeMessage; resumed: boolean }[] = [];
  readonly presences: PresenceMessage[] = [];
  readonly errors: ErrorMessage[] = [];
  readonly signals: { from: PeerId; data: SignalData }[] = [];
  status: ConnectionStatus = 'stopped';
  /** The room as the mesh would hold it: the last welcome's peers, then every presence batch applied. */
  readonly room = new Set<PeerId>();
  readonly client: SignalingClient;
  private lastWire: WelcomeMessage | undefined;

  constructor(
    readonly name: string,
    url: string,
    token: string,
  ) {
    const deviceKey = generateDeviceKey();
    this.client = new SignalingClient({
      url,
      token,
      peerSecret: newPeerSecret(),
      deviceKey,
      sessionKey: generateSessionKey(deviceKey),
      WebSocket,
      reconnectFirstMs: 20,
      reconnectMaxMs: 100,
      handlers: {
        status: (s) => (this.status = s),
        welcome: (handed, resumed) => {
          this.welcomes.push({ wire: this.lastWire!, handed, resumed });
          this.room.clear();
          for (const p of handed.peers) this.room.add(p.peerId);
        },
        presence: (m) => {
          this.presences.push(m);
          for (const id of m.left) this.room.delete(id);
          for (const p of m.joined) this.room.add(p.peerId);
        },
        signal: (from, data) => this.signals.push({ from, data }),
        relay: () => {},
        relayFlow: () => {},
        keys: () => {},
        serverError: (m) => this.errors.push(m),
        protocolError: (message) => {
          throw new Error(`${name}: ${message}`);
        },
      },
    });
    // The wire welcome, before the signaling client completes it with the room it keeps.
    const intercept = (this.client as unknown as { onMessage(data: unknown): void }).onMessage.bind(this.client);
    (this.client as unknown as { onMessage(data: unknown): void }).onMessage = (data: unknown) => {
      if (typeof data === 'string' && data.startsWith('{"type":"welcome"')) this.lastWire = JSON.parse(data) as WelcomeMessage;
      intercept(data);
    };
  }

  get peerId(): PeerId {
    return this.welcomes.at(-1)!.handed.self.peerId;
  }

  start(): this {
    this.client.start();
    return this;
  }

  /** Resolves once this client has been welcomed `count` times in all. */
  welcomed(count: number, timeoutMs = 10_000): Promise<unknown> {
    return waitFor(() => this.welcomes.length >= count && this.status === 'online', timeoutMs, `${this.name} welcomed ${count} times`);
  }

  /** Resolves once this client's room is exactly `ids`. */
  holds(ids: readonly PeerId[], timeoutMs = 10_000): Promise<unknown> {
    return waitFor(() => this.room.size === ids.length && ids.every((id) => this.room.has(id)), timeoutMs, `${this.name} holding ${ids.length} peers`);
  }
}
