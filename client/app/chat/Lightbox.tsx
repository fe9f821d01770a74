// An enlarged image over the room; Escape, the Close button or a click outside closes it.

import { useEffect, useRef } from 'preact/hooks';
import { useI18n } from '../../i18n';

export function Lightbox({ url, name, onClose }: { url: string; name: string; onClose: () => void }) {
  const { t } = useI18n();
  const closeRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    closeRef.current?.focus();
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && onClose();
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);
  return (
    <div class="lightbox" role="dialog" aria-modal="true" aria-label={name} onClick={(e) => e.target === e.currentTarget && onClose()}>
      <img src={url} alt={name} />
      <div class="lightbox-bar">
        <a href={url} download={name}>
          {t('save')}
        </a>
        <button type="button" ref={closeRef} onClick={onClose}>
          {t('close')}
        </button>
      </div>
    </div>
  );
}
