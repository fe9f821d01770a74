// The delivery state of own messages, by message id, as the mesh reports it (mesh/deliveryTracker.ts).

import { useEffect, useState } from 'preact/hooks';
import type { DeliveryState, Mesh } from '../../mesh/api';

export type Deliveries = ReadonlyMap<string, DeliveryState>;

export function useDelivery(mesh: Mesh | null): Deliveries {
  const [states, setStates] = useState<Deliveries>(new Map());
  useEffect(() => {
    if (!mesh) return;
    return mesh.on('delivery', (state) => setStates((old) => new Map(old).set(state.messageId, state)));
  }, [mesh]);
  return states;
}
