// Progress bars for images in transit, sent or received. Subscribes to the mesh itself so that
// per-chunk progress re-renders only this component, never the message log.

import { useEffect, useState } from 'preact/hooks';
import type { Mesh, PeerView, TransferProgress } from '../../mesh/api';
import { useI18n } from '../../i18n';

interface Transfer {
  messageId: string;
  direction: 'send' | 'receive';
  /** The sending peer for a receive. */
  peerId: string;
  /** Summed over all peers of a send. */
  bytes: number;
  total: number;
}

type ProgressMap = Map<string, Map<string, TransferProgress>>;

function applyProgress(map: ProgressMap, p: TransferProgress): void {
  const perPeer = map.get(p.messageId) ?? new Map<string, TransferProgress>();
  map.set(p.messageId, perPeer);
  perPeer.set(p.peerId, p);
  if ([...perPeer.values()].every((one) => one.done)) map.delete(p.messageId);
}

function summarize(map: ProgressMap): Transfer[] {
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

function useTransfers(mesh: Mesh | null): Transfer[] {
  const [transfers, setTransfers] = useState<Transfer[]>([]);
  useEffect(() => {
    if (!mesh) return;
    const progress: ProgressMap = new Map();
    let frame = 0;
    const off = mesh.on('progress', (p) => {
      applyProgress(progress, p);
      // Progress arrives per chunk; one render per frame is enough.
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        setTransfers(summarize(progress));
      });
    });
    return () => {
      off();
      if (frame) cancelAnimationFrame(frame);
    };
  }, [mesh]);
  return transfers;
}

export function Transfers({ mesh, peers }: { mesh: Mesh | null; peers: PeerView[] }) {
  const { t } = useI18n();
  const transfers = useTransfers(mesh);
  if (!transfers.length) return null;
  return (
    <ul class="transfers" aria-live="off">
      {transfers.map((tr) => {
        const sender = peers.find((p) => p.peerId === tr.peerId)?.displayName ?? '…';
        const label = tr.direction === 'send' ? t('sending') : t('receiving', { sender });
        return (
          <li key={tr.messageId}>
            <span>{label}</span>
            <progress max={tr.total || 1} value={tr.bytes} aria-label={label} />
          </li>
        );
      })}
    </ul>
  );
}
