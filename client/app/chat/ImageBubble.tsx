// An image message: shown from a blob: URL it owns, click to enlarge, with a save link.

import { useEffect, useState } from 'preact/hooks';
import { useI18n } from '../../i18n';

interface ImageBubbleProps {
  blob: Blob;
  name: string;
  onEnlarge: (url: string, name: string) => void;
}

export function ImageBubble({ blob, name, onEnlarge }: ImageBubbleProps) {
  const { t } = useI18n();
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    const objectUrl = URL.createObjectURL(blob);
    setUrl(objectUrl);
    return () => URL.revokeObjectURL(objectUrl);
  }, [blob]);
  if (!url) return null;
  return (
    <figure class="image">
      <button type="button" class="image-button" onClick={() => onEnlarge(url, name)} title={t('enlarge')}>
        <img src={url} alt={name} decoding="async" />
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
