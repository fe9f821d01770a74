// An image message: shown from a blob: URL it owns, click to enlarge, with a save link.

import { useEffect, useMemo } from 'preact/hooks';
import { useI18n } from '../../i18n';

interface ImageBubbleProps {
  blob: Blob;
  name: string;
  onEnlarge: (url: string, name: string) => void;
  /** The image loaded (or failed to). */
  onShown?: () => void;
}

export function ImageBubble({ blob, name, onEnlarge, onShown }: ImageBubbleProps) {
  const { t } = useI18n();
  // Made while rendering, so the image starts loading with this render rather than after an effect
  // and a second render one frame later.
  const url = useMemo(() => URL.createObjectURL(blob), [blob]);
  useEffect(() => () => URL.revokeObjectURL(url), [url]);
  return (
    <figure class="image">
      <button type="button" class="image-button" onClick={() => onEnlarge(url, name)} title={t('enlarge')}>
        <img src={url} alt={name} decoding="async" onLoad={onShown} onError={onShown} />
      </button>
      <figcaption>
        <span class="file-name">{name}</span>{' '}
        <a href={url} download={name}>
          {t('save')}
        </a>
      </figcaption>
    </figure>
  );
}
