// The end both account forms share: the server address, the error, the submit button and the
// link to the other form.

import { useI18n, type MessageKey } from '../i18n';
import { Field } from './Field';
import { Alert } from './Notices';
import { linkTo, type Route } from './router';

interface AccountFormFooterProps {
  serverAddress: string;
  onServerAddress: (value: string) => void;
  error: string | null;
  busy: boolean;
  submitLabel: MessageKey;
  switchTo: Route;
  switchLabel: MessageKey;
}

export function AccountFormFooter({ serverAddress, onServerAddress, error, busy, submitLabel, switchTo, switchLabel }: AccountFormFooterProps) {
  const { t } = useI18n();
  return (
    <>
      <Field label={t('serverAddress')} value={serverAddress} onInput={onServerAddress} hint={t('serverAddressHint')} />
      <Alert text={error} />
      <button type="submit" class="primary" disabled={busy}>
        {t(submitLabel)}
      </button>
      <p class="switch-form">
        <a {...linkTo(switchTo)}>{t(switchLabel)}</a>
      </p>
    </>
  );
}
