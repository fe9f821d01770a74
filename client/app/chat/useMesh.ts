// Runs one mesh for the lifetime of the chat room and mirrors its state into Preact state.

import { useEffect, useRef, useState } from 'preact/hooks';
import type { ChatMessage, ConnectionStatus, Mesh, MeshError, PeerView, TransferProgress } from '../../mesh/api';
import type { PeerInfo, RoomSettings } from '../../../shared/protocol';
import { createBrowserMesh } from './meshFactory';

export interface Transfer {
  messageId: string;
  direction: 'send' | 'receive';
  /** The sending peer for a receive. */
  peerId: string;
  /** Summed over all peers of a send. */
  bytes: number;
  total: number;
}

export interface MeshState {
  mesh: Mesh | null;
  status: ConnectionStatus;
  self: PeerInfo | null;
  settings: RoomSettings | null;
  peers: PeerView[];
  transfers: Transfer[];
}

interface Handlers {
  onMessage: (message: ChatMessage) => void;
  onError: (error: MeshError) => void;
}

function applyProgress(map: Map<string, Map<string, TransferProgress>>, p: TransferProgress): void {
  const perPeer = map.get(p.messageId) ?? new Map<string, TransferProgress>();
  map.set(p.messageId, perPeer);
  perPeer.set(p.peerId, p);
  if ([...perPeer.values()].every((one) => one.done)) map.delete(p.messageId);
}

function summarize(map: Map<string, Map<string, TransferProgress>>): Transfer[] {
  return [...map.entries()].map(([messageId, perPeer]) => {
    const all = [...perPeer.values()];
    return {
      messageId,
      direction: all[0].direction,
      peerId: all[0].peerId,
      bytes: all.reduce((sum, p) => sum + p.bytes, 0),
      total: all.reduce((sum, p) => sum + p.total, 0),
    };
  });
}

export function useMesh(serverUrl: string, token: string, handlers: Handlers): MeshState {
  const [state, setState] = useState<MeshState>({ mesh: null, status: 'connecting', self: null, settings: null, peers: [], transfers: [] });
  const handlersRef = useRef(handlers);
  handlersRef.current = handlers;

  useEffect(() => {
    const mesh = createBrowserMesh(serverUrl, token);
    const progress = new Map<string, Map<string, TransferProgress>>();
    let progressFrame = 0;
    const update = (patch: Partial<MeshState>) => setState((old) => ({ ...old, self: mesh.self, settings: mesh.settings, ...patch }));
    const offs = [
      mesh.on('status', (status) => update({ status })),
      mesh.on('peers', (peers) => update({ peers })),
      mesh.on('message', (message) => handlersRef.current.onMessage(message)),
      mesh.on('error', (error) => handlersRef.current.onError(error)),
      mesh.on('progress', (p) => {
        applyProgress(progress, p);
        // Progress arrives per chunk; one render per frame is enough.
        if (progressFrame) return;
        progressFrame = requestAnimationFrame(() => {
          progressFrame = 0;
          update({ transfers: summarize(progress) });
        });
      }),
    ];
    update({ mesh, status: mesh.status, peers: mesh.peers() });
    mesh.start();
    return () => {
      for (const off of offs) off();
      if (progressFrame) cancelAnimationFrame(progressFrame);
      mesh.stop();
    };
  }, [serverUrl, token]);

  return state;
}
