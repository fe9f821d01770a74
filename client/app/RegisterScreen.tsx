// The registration page (`/register`). The shared account rules give instant feedback per field;
// the server stays the judge (e.g. USERNAME_TAKEN).

import { retryWhenBusy } from '../../shared/busyRetry';
import { useState } from 'preact/hooks';
import { validateBio, validateDisplayName, validatePassword, validateUsername } from '../../shared/accountRules';
import { useI18n, type MessageKey } from '../i18n';
import { api } from './api';
import { errorText } from './errorText';
import { Field } from './Field';
import { AccountFormFooter } from './AccountFormFooter';
import { serverOrigin } from './storage';

type FieldName = 'username' | 'password' | 'confirmPassword' | 'displayName' | 'bio';
type Values = Record<FieldName, string>;

const RULES: Partial<Record<FieldName, (value: string) => unknown>> = {
  username: validateUsername,
  password: validatePassword,
  displayName: validateDisplayName,
  bio: validateBio,
};
const REQUIRED: FieldName[] = ['username', 'password', 'confirmPassword', 'displayName'];

interface RegisterScreenProps {
  serverAddress: string;
  onServerAddress: (value: string) => void;
  onRegistered: (username: string) => void;
}

export function RegisterScreen({ serverAddress, onServerAddress, onRegistered }: RegisterScreenProps) {
  const { t } = useI18n();
  const [values, setValues] = useState<Values>({ username: '', password: '', confirmPassword: '', displayName: '', bio: '' });
  const [touched, setTouched] = useState<Partial<Record<FieldName, boolean>>>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  function problemOf(name: FieldName, all: Values = values): string | null {
    const value = all[name];
    if (REQUIRED.includes(name) && !value.trim()) return null; // reported as "fill in" on submit
    if (name === 'confirmPassword') return value === all.password ? null : t('passwordMismatch');
    try {
      RULES[name]?.(value);
      return null;
    } catch (err) {
      return errorText(t, err);
    }
  }

  async function submit(event: Event) {
    event.preventDefault();
    if (busy) return;
    setTouched({ username: true, password: true, confirmPassword: true, displayName: true, bio: true });
    const missing = REQUIRED.filter((name) => !values[name].trim());
    if (missing.length) return setError(t('fillRequired', { fields: missing.map((name) => t(name as MessageKey)).join(', ') }));
    const firstProblem = (Object.keys(values) as FieldName[]).map((name) => problemOf(name)).find(Boolean);
    if (firstProblem) return setError(firstProblem);
    const origin = serverOrigin(serverAddress);
    if (!origin) return setError(t('err.UNREACHABLE'));
    setBusy(true);
    setError(null);
    try {
      const body = { username: values.username.trim(), password: values.password, displayName: values.displayName.trim(), bio: values.bio.trim() || undefined };
      // A busy server (503) is tried again by itself, saying so meanwhile.
      const { user } = await retryWhenBusy(() => api.register(origin, body), { onWait: (ms) => setError(t('busyRetrying', { seconds: Math.ceil(ms / 1000) })) });
      onRegistered(user.username);
    } catch (err) {
      setError(errorText(t, err));
      setBusy(false);
    }
  }

  const field = (name: FieldName, extra: { type?: 'password'; multiline?: boolean; autoComplete?: string } = {}) => (
    <Field
      label={t(name === 'bio' ? 'bio' : name)}
      value={values[name]}
      onInput={(value) => setValues((old) => ({ ...old, [name]: value }))}
      onBlur={() => setTouched((old) => ({ ...old, [name]: true }))}
      problem={touched[name] ? problemOf(name) : null}
      required={REQUIRED.includes(name)}
      {...extra}
    />
  );

  return (
    <form class="card" onSubmit={submit} noValidate>
      <h1>{t('registerTitle')}</h1>
      {field('username', { autoComplete: 'username' })}
      {field('password', { type: 'password', autoComplete: 'new-password' })}
      {field('confirmPassword', { type: 'password', autoComplete: 'new-password' })}
      {field('displayName', { autoComplete: 'nickname' })}
      {field('bio', { multiline: true })}
      <AccountFormFooter
        serverAddress={serverAddress}
        onServerAddress={onServerAddress}
        error={error}
        busy={busy}
        submitLabel="register"
        switchTo="login"
        switchLabel="toLogin"
      />
    </form>
  );
}
