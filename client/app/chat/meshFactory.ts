// The one place the UI creates a transport. In the browser the global WebSocket and
// RTCPeerConnection are used, so only the address and the token are passed.

import type { Mesh } from '../../mesh/api';
import { createMesh } from '../../mesh/index';

export function createBrowserMesh(serverUrl: string, token: string): Mesh {
  return createMesh({ serverUrl, token });
}
