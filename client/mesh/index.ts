// Entry point of the peer mesh, for the browser UI, the CLI, tests and benchmarks alike.

import type { Mesh, MeshOptions } from './api';
import { MeshImpl } from './mesh';

export type * from './api';

export function createMesh(options: MeshOptions): Mesh {
  return new MeshImpl(options);
}
