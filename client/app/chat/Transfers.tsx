// Progress bars for images in transit, sent or received.

import type { PeerView } from '../../mesh/api';
import { useI18n } from '../../i18n';
import type { Transfer } from './useMesh';

interface TransfersProps {
  transfers: Transfer[];
  peers: PeerView[];
}

export function Transfers({ transfers, peers }: TransfersProps) {
  const { t } = useI18n();
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
