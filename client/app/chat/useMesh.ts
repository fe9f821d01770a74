// Runs one mesh for the lifetime of the chat room and mirrors its state into Preact state.

import { useEffect, useRef, useState } from 'preact/hooks';
import type { ChatMessage, ConnectionStatus, KeptEntry, Mesh, MeshError, PeerView } from '../../mesh/api';
import type { PeerInfo, RoomSettings } from '../../../shared/protocol';
import { createBrowserMesh } from './meshFactory';
import type { DeviceKeyPair } from '../../../shared/deviceKey';

export interface MeshState {
  mesh: Mesh | null;
  status: ConnectionStatus;
  self: PeerInfo | null;
  settings: RoomSettings | null;
  peers: PeerView[];
}

interface Handlers {
  onMessage: (message: ChatMessage) => void;
  onError: (error: MeshError) => void;
}

/** `keptHistory`: the stored history the mesh may pass on (stable across renders). */
export function useMesh(serverUrl: string, token: string, deviceKey: DeviceKeyPair, handlers: Handlers, keptHistory?: () => Promise<KeptEntry[]>): MeshState {
  const [state, setState] = useState<MeshState>({ mesh: null, status: 'connecting', self: null, settings: null, peers: [] });
  const handlersRef = useRef(handlers);
  handlersRef.current = handlers;

  useEffect(() => {
    const mesh = createBrowserMesh(serverUrl, token, deviceKey, keptHistory);
    const update = (patch: Partial<MeshState>) => setState((old) => ({ ...old, self: mesh.self, settings: mesh.settings, ...patch }));
    const offs = [
      mesh.on('status', (status) => update({ status })),
      mesh.on('peers', (peers) => update({ peers })),
      mesh.on('message', (message) => handlersRef.current.onMessage(message)),
      mesh.on('error', (error) => handlersRef.current.onError(error)),
    ];
    update({ mesh, status: mesh.status, peers: mesh.peers() });
    mesh.start();
    return () => {
      for (const off of offs) off();
      mesh.stop();
    };
  }, [serverUrl, token, deviceKey]);

  return state;
}
