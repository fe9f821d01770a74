// The connection to the server, said plainly; when the server was updated, a way to reload.

import type { ConnectionStatus } from '../../mesh/api';
import { useI18n, type MessageKey } from '../../i18n';

export function StatusLine({ status }: { status: ConnectionStatus }) {
  const { t } = useI18n();
  return (
    <>
      <p class={`status status-${status}`} role="status">
        <span class="dot" aria-hidden="true" /> {t(`status.${status}` as MessageKey)}
      </p>
      {status === 'outdated' && (
        <p class="alert" role="alert">
          {t('updated')}{' '}
          <button type="button" onClick={() => location.reload()}>
            {t('reload')}
          </button>
        </p>
      )}
    </>
  );
}
