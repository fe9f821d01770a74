// Everything a mesh in Node takes from node:crypto (native, several times faster than the pure-JS
// code a page runs), in one object to spread into createMesh's options: the CLI, tests and benches
// pass the same set, so none of them measures a slower path by forgetting one.

import type { MeshOptions } from '../mesh/api';
import { nodeSignEd25519, nodeVerifyEd25519 } from '../../shared/nodeEd25519';
import { nodeAead } from './nodeAead';
import { nodeSha256 } from './nodeSha256';
import { nodeX25519 } from './nodeX25519';

export const nodeCrypto = { sha256: nodeSha256, aead: nodeAead, verify: nodeVerifyEd25519, sign: nodeSignEd25519, x25519: nodeX25519 } satisfies Partial<MeshOptions>;
