// "alice is typing…" under the log; read out politely by screen readers, never stored.

import type { PeerInfo } from '../../../shared/protocol';
import { useI18n } from '../../i18n';

export function TypingLine({ typing }: { typing: PeerInfo[] }) {
  const { t } = useI18n();
  const names = typing.map((p) => p.displayName || p.username);
  const text = names.length === 0 ? '' : names.length === 1 ? t('typingOne', { name: names[0] }) : t('typingMany', { names: names.join(', ') });
  return (
    <p class="typing" aria-live="polite">
      {text}
    </p>
  );
}
