// The online users: yourself first, then every peer with how traffic reaches them.

import type { PeerView } from '../../mesh/api';
import { useI18n, type MessageKey, type Translate } from '../../i18n';
import { mixedScripts } from '../../../shared/scriptMix';

interface UserListProps {
  self: { username: string; displayName: string };
  peers: PeerView[];
}

/** "@name", and a mark when the name mixes writing systems ("аlice" with a Cyrillic а beside "alice"). */
function Username({ name, t }: { name: string; t: Translate }) {
  const scripts = mixedScripts(name);
  return (
    <>
      <span class="username">@{name}</span>
      {scripts.length > 0 && (
        <>
          {' '}
          <span class="mixed-script">{t('mixedScripts', { scripts: scripts.join(' + ') })}</span>
        </>
      )}
    </>
  );
}

/** The pair's safety number, folded away until asked for (shared/e2e/safetyNumber.ts). */
function SafetyNumber({ peer, t }: { peer: PeerView; t: Translate }) {
  const name = peer.displayName || peer.username;
  return (
    <details class="safety">
      <summary aria-label={t('safetyNumberWith', { name })}>{t('safetyNumber')}</summary>
      <p class="safety-number" aria-label={t('safetyNumberWith', { name })}>
        {peer.safetyNumber}
      </p>
      <p class="safety-hint muted">{t('safetyNumberHint', { name })}</p>
    </details>
  );
}

export function UserList({ self, peers }: UserListProps) {
  const { t } = useI18n();
  const sorted = [...peers].sort((a, b) => a.displayName.localeCompare(b.displayName) || a.peerId.localeCompare(b.peerId));
  return (
    <section class="users" aria-labelledby="users-heading">
      <h2 id="users-heading">
        {t('onlineUsers')} <span class="count">{peers.length + 1}</span>
      </h2>
      <ul role="list" aria-label={t('onlineUsers')}>
        <li class="user user-self">
          <span class="display-name">{self.displayName}</span> <Username name={self.username} t={t} />{' '}
          <span class="you">{t('you')}</span>
        </li>
        {sorted.map((peer) => (
          <li key={peer.peerId} class="user" data-peer-id={peer.peerId}>
            <span class="display-name">{peer.displayName}</span> <Username name={peer.username} t={t} />{' '}
            <span class={`link link-${peer.link}`}>{t(`link.${peer.link}` as MessageKey)}</span>
            <SafetyNumber peer={peer} t={t} />
          </li>
        ))}
      </ul>
      {peers.length === 0 && <p class="muted">{t('alone')}</p>}
    </section>
  );
}
