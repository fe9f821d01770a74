// A hand-driven socket seals what it relays and opens what it is relayed, as every peer of the room
// must since issue 13 (shared/e2e/sealed.ts): the peers' keys come from its welcome and presence.

import { SealedRelayCodec } from '../../client/mesh/sealedRelay';
import { nodeAead } from '../../client/cli/nodeAead';
import { buildRelayRequest } from '../../shared/relayEnvelope';
import type { PeerInfo } from '../../shared/protocol';
import type { OnlineSocket } from './ws';
import { pollUntil } from './mesh';

export interface SocketSealing {
  /** A relay request carrying `frame` to `to`, sealed for it. */
  request(to: string, frame: Uint8Array): Uint8Array;
  /** The frame (or bundle) inside a payload relayed by `from`. */
  open(from: string, payload: Uint8Array): Uint8Array;
  /** The same, once presence named `from` (the server relays at once but batches presence). */
  openWhenKnown(from: string, payload: Uint8Array): Promise<Uint8Array>;
}

/** The newest presence record of `peerId` the socket has seen. */
function peerOf(socket: OnlineSocket, peerId: string): PeerInfo | undefined {
  let found = socket.welcome.peers.find((p) => p.peerId === peerId);
  for (const m of socket.messages) if (m.type === 'presence') found = m.joined.find((p) => p.peerId === peerId) ?? found;
  return found;
}

export function sealingFor(socket: OnlineSocket, known: (peerId: string) => PeerInfo | undefined = () => undefined): SocketSealing {
  const codec = new SealedRelayCodec({
    aead: nodeAead,
    device: socket.deviceKey,
    session: socket.session,
    selfId: () => socket.self.peerId,
    peer: (id) => known(id) ?? peerOf(socket, id),
  });
  return {
    request(to, frame) {
      const payload = codec.seal([to], [frame]);
      return buildRelayRequest([to], payload.byteLength, payload.write);
    },
    open: (from, payload) => codec.open(from, payload),
    async openWhenKnown(from, payload) {
      await pollUntil(() => (known(from) ?? peerOf(socket, from)) !== undefined, 5_000, `presence of ${from}`);
      return codec.open(from, payload);
    },
  };
}
