// On load a saved token is only trusted once GET /api/me confirms it. While the server cannot
// be reached this keeps retrying (the token may well still be good) and says so.

import { useEffect, useState } from 'preact/hooks';
import { useI18n } from '../i18n';
import { api } from './api';
import { errorText } from './errorText';
import type { Session } from './session';

const RETRY_MS = 3_000;

interface SessionCheckProps {
  origin: string;
  token: string;
  onValid: (session: Session) => void;
  /** The token is refused (or the user gave up waiting): show the login form. */
  onInvalid: (notice: string | null) => void;
}

export function SessionCheck({ origin, token, onValid, onInvalid }: SessionCheckProps) {
  const { t } = useI18n();
  const [unreachable, setUnreachable] = useState(false);

  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let cancelled = false;
    const check = () => {
      api
        .me(origin, token)
        .then(({ user }) => !cancelled && onValid({ origin, token, user }))
        .catch((err) => {
          if (cancelled) return;
          if ((err as { code?: string }).code === 'UNREACHABLE') {
            setUnreachable(true);
            timer = setTimeout(check, RETRY_MS);
          } else onInvalid(errorText(t, err));
        });
    };
    check();
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [origin, token]);

  return (
    <div class="card" role="status">
      <p>{unreachable ? t('status.reconnecting') : t('checkingSession')}</p>
      {unreachable && (
        <button type="button" onClick={() => onInvalid(null)}>
          {t('logIn')}
        </button>
      )}
    </div>
  );
}
