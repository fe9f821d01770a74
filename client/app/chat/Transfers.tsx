// Progress bars for images in transit, sent or received. Subscribes to the mesh itself so that
// per-chunk progress re-renders only this component, never the message log, and at most every
// PROGRESS_RENDER_MS.

import { useEffect, useState } from 'preact/hooks';
import type { Mesh, PeerView, TransferProgress } from '../../mesh/api';
import { PROGRESS_RENDER_MS } from '../../../shared/limits';
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
    let timer: ReturnType<typeof setTimeout> | undefined;
    let frame = 0;
    let renderedAt = 0;
    const render = () => {
      frame = 0;
      renderedAt = performance.now();
      setTransfers(summarize(progress));
    };
    const off = mesh.on('progress', (p) => {
      const known = progress.has(p.messageId);
      applyProgress(progress, p);
      // Progress arrives per chunk; the bars move every PROGRESS_RENDER_MS at most, on a frame.
      // A transfer that starts or ends is shown at the next frame.
      if (frame || (timer && known && progress.has(p.messageId))) return;
      if (timer) clearTimeout(timer);
      timer = undefined;
      const wait = known && progress.has(p.messageId) ? renderedAt + PROGRESS_RENDER_MS - performance.now() : 0;
      if (wait <= 0) frame = requestAnimationFrame(render);
      else
        timer = setTimeout(() => {
          timer = undefined;
          frame = requestAnimationFrame(render);
        }, wait);
    });
    return () => {
      off();
      if (timer) clearTimeout(timer);
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
