// The one place the UI creates a transport. TEMPORARY: client/mesh/index.ts has not landed yet;
// until it does this is an inert mesh that stays "connecting".

import type { Mesh } from '../../mesh/api';
import { ChatError } from '../../../shared/errors';

export function createBrowserMesh(_serverUrl: string, _token: string): Mesh {
  return {
    self: null,
    settings: null,
    status: 'connecting',
    peers: () => [],
    start: () => {},
    stop: () => {},
    sendText: () => {
      throw new ChatError('UNREACHABLE', 'transport not available yet');
    },
    sendImage: async () => {
      throw new ChatError('UNREACHABLE', 'transport not available yet');
    },
    on: () => () => {},
  };
}
