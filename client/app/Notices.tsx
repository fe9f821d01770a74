// Error (role=alert) and information (role=status) banners. Rendered only when there is text,
// so an empty alert never shadows the real one.

import { useI18n } from '../i18n';

export function Alert({ text, onDismiss }: { text: string | null; onDismiss?: () => void }) {
  const { t } = useI18n();
  if (!text) return null;
  return (
    <div class="notice notice-error">
      <span role="alert">{text}</span>
      {onDismiss && (
        <button type="button" class="link-button" onClick={onDismiss} aria-label={t('dismiss')}>
          ×
        </button>
      )}
    </div>
  );
}

export function Status({ text }: { text: string | null }) {
  if (!text) return null;
  return (
    <div class="notice notice-info" role="status">
      {text}
    </div>
  );
}
