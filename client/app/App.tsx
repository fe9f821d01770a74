// Top level: language, server address, session check, and which screen to show.

import { useEffect, useMemo, useState } from 'preact/hooks';
import { I18nContext, detectLang, isLang, translator, type Lang } from '../i18n';
import { api } from './api';
import { ChatRoom } from './chat/ChatRoom';
import { LanguageSwitch } from './LanguageSwitch';
import { LoginScreen } from './LoginScreen';
import { RegisterScreen } from './RegisterScreen';
import { SessionCheck } from './SessionCheck';
import { navigate, useRoute } from './router';
import type { Session } from './session';
import { defaultServerAddress, serverOrigin, storage } from './storage';

function initialLang(): Lang {
  const saved = storage.lang();
  return isLang(saved) ? saved : detectLang(navigator.languages?.length ? navigator.languages : [navigator.language]);
}

export function App() {
  const [lang, setLangState] = useState<Lang>(initialLang);
  const i18n = useMemo(
    () => ({
      lang,
      t: translator(lang),
      setLang: (next: Lang) => {
        storage.setLang(next);
        setLangState(next);
      },
    }),
    [lang],
  );
  const { t } = i18n;
  const route = useRoute();
  const [serverAddress, setServerAddressState] = useState(() => storage.serverAddress() ?? defaultServerAddress());
  const [session, setSession] = useState<Session | null | 'checking'>(() =>
    storage.token() && serverOrigin(storage.serverAddress() ?? defaultServerAddress()) ? 'checking' : null,
  );
  const [notice, setNotice] = useState<string | null>(null);
  const [loginUsername, setLoginUsername] = useState('');

  useEffect(() => {
    document.documentElement.lang = lang;
    document.title = t('appTitle');
  }, [lang]);

  function setServerAddress(value: string) {
    storage.setServerAddress(value);
    setServerAddressState(value);
  }

  function login(next: Session) {
    storage.setToken(next.token);
    setNotice(null);
    setSession(next);
    navigate('login');
  }

  function logout(reason: string | null) {
    if (session && session !== 'checking') {
      // Best effort: the session also expires on the server by itself.
      api.logout(session.origin, session.token).catch(() => {});
      setLoginUsername(session.user.username);
    }
    storage.setToken(null);
    setNotice(reason);
    setSession(null);
  }

  let screen;
  if (session === 'checking')
    screen = (
      <SessionCheck
        origin={serverOrigin(serverAddress) ?? ''}
        token={storage.token() ?? ''}
        onValid={setSession}
        onInvalid={(reason) => {
          storage.setToken(null);
          setNotice(reason);
          setSession(null);
        }}
      />
    );
  else if (session) screen = <ChatRoom key={session.token} session={session} onLogout={logout} />;
  else if (route === 'register')
    screen = (
      <RegisterScreen
        serverAddress={serverAddress}
        onServerAddress={setServerAddress}
        onRegistered={(username) => {
          setLoginUsername(username);
          setNotice(t('registered', { username }));
          navigate('login');
        }}
      />
    );
  else
    screen = (
      <LoginScreen
        key={loginUsername}
        serverAddress={serverAddress}
        onServerAddress={setServerAddress}
        initialUsername={loginUsername}
        notice={notice}
        onLogin={login}
      />
    );

  return (
    <I18nContext.Provider value={i18n}>
      <div class={session && session !== 'checking' ? 'app app-chat' : 'app app-form'}>
        <header class="topbar">
          <span class="brand">{t('appTitle')}</span>
          <LanguageSwitch />
        </header>
        <main class="screen">{screen}</main>
      </div>
    </I18nContext.Provider>
  );
}
