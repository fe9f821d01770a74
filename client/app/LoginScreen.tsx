// The login form (`/`): username, password and the server address.

import { useState } from 'preact/hooks';
import { useI18n } from '../i18n';
import { retryWhenBusy } from '../../shared/busyRetry';
import { api } from './api';
import { errorText } from './errorText';
import { Field } from './Field';
import { AccountFormFooter } from './AccountFormFooter';
import { Status } from './Notices';
import type { Session } from './session';
import { serverOrigin, storage } from './storage';

interface LoginScreenProps {
  serverAddress: string;
  onServerAddress: (value: string) => void;
  initialUsername: string;
  notice: string | null;
  onLogin: (session: Session) => void;
}

export function LoginScreen({ serverAddress, onServerAddress, initialUsername, notice, onLogin }: LoginScreenProps) {
  const { t } = useI18n();
  const [username, setUsername] = useState(initialUsername);
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [waiting, setWaiting] = useState<string | null>(null);

  async function submit(event: Event) {
    event.preventDefault();
    if (busy) return;
    if (!username.trim() || !password) return setError(t('fillLogin'));
    const origin = serverOrigin(serverAddress);
    if (!origin) return setError(t('err.UNREACHABLE'));
    setBusy(true);
    setError(null);
    try {
      const name = username.trim();
      // A busy server (503) is tried again by itself, saying so meanwhile.
      const response = await retryWhenBusy(() => api.login(origin, { username: name, password, deviceToken: storage.deviceToken(origin, name) }), {
        onWait: (ms) => setWaiting(t('busyRetrying', { seconds: Math.ceil(ms / 1000) })),
      });
      setWaiting(null);
      storage.setDeviceToken(origin, name, response.device.token);
      onLogin({ origin, token: response.token, user: response.user });
    } catch (err) {
      setWaiting(null);
      setError(errorText(t, err));
      setBusy(false);
    }
  }

  return (
    <form class="card" onSubmit={submit} noValidate>
      <h1>{t('loginTitle')}</h1>
      <Status text={waiting ?? notice} />
      <Field label={t('username')} value={username} onInput={setUsername} autoComplete="username" required />
      <Field label={t('password')} value={password} onInput={setPassword} type="password" autoComplete="current-password" required />
      <AccountFormFooter
        serverAddress={serverAddress}
        onServerAddress={onServerAddress}
        error={error}
        busy={busy}
        submitLabel="logIn"
        switchTo="register"
        switchLabel="toRegister"
      />
    </form>
  );
}
