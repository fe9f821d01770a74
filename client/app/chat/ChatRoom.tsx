// The chat room: users on the left, messages in the centre, the composer below. Wires the mesh
// (transport) to history (storage) and the components (display).

import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ChatError } from '../../../shared/errors';
import { IMAGE_MAX_BYTES } from '../../../shared/limits';
import type { MeshError, PeerView } from '../../mesh/api';
import { useI18n } from '../../i18n';
import { errorText, formatBytes, IMAGE_REFUSAL_CODES, imageRefusalText } from '../errorText';
import { Alert } from '../Notices';
import type { Session } from '../session';
import { socketUrl } from '../storage';
import { Composer } from './Composer';
import { rememberSource } from './imageSources';
import { Lightbox } from './Lightbox';
import { MessageLog } from './MessageLog';
import { StatusLine } from './StatusLine';
import { Transfers } from './Transfers';
import { UserList } from './UserList';
import { useHistory } from './useHistory';
import { useMesh } from './useMesh';
import { browserDeviceKey } from './meshFactory';
import { TypingLine } from './TypingLine';
import { useTyping } from './useTyping';
import { useDelivery } from './useDelivery';
import { useUnread } from './useUnread';

/** Mesh errors that concern the user; the rest (a direct link replaced by the relay, a peer gone) are handled already. */
const SHOWN_MESH_ERRORS = new Set(['HASH_MISMATCH', 'TRANSFER_ABORTED', 'RELAY_DISABLED', 'PEER_LEFT', 'RELAY_BACKED_UP', 'BAD_SIGNATURE']);

function worthShowing(e: MeshError, peers: PeerView[]): boolean {
  if (e.code === 'UNREACHABLE') return peers.some((p) => p.peerId === e.peerId && p.link === 'unreachable');
  // An image refused for its bytes: one a peer sent us (never displayed), or ours a peer refused.
  if (IMAGE_REFUSAL_CODES.has(e.code)) return e.peerId !== undefined && e.messageId !== undefined;
  return SHOWN_MESH_ERRORS.has(e.code);
}

interface ChatRoomProps {
  session: Session;
  onLogout: (reason: string | null) => void;
}

export function ChatRoom({ session, onLogout }: ChatRoomProps) {
  const { t } = useI18n();
  const [error, setError] = useState<string | null>(null);
  const [enlarged, setEnlarged] = useState<{ url: string; name: string } | null>(null);
  const [dragging, setDragging] = useState(false);
  /** The server refused this socket as one device too many (it says so just before closing it). */
  const refusedAsExtraDevice = useRef(false);
  const { messages, add, shown, kept } = useHistory(session.origin, session.user.username);
  const deviceKey = useMemo(() => browserDeviceKey(session.origin, session.user.username), [session.origin, session.user.username]);
  const { mesh, status, self, settings, peers } = useMesh(socketUrl(session.origin), session.token, deviceKey, {
    onMessage: (m) => {
      // Delivered means stored and shown here: only then does the sender hear of it.
      void add(m).then(() => meshRef.current?.receipt(m));
      typing.messageFrom(m);
    },
    onError: (e: MeshError) => {
      if (e.code === 'TOO_MANY_DEVICES') refusedAsExtraDevice.current = true;
      console.warn('mesh error', e.code, e.message, e.peerId ?? '', e.messageId ?? '');
      // The link state may change right after the error: judge once the mesh has settled.
      setTimeout(() => {
        if (worthShowing(e, meshRef.current?.peers() ?? [])) setError(meshErrorText(e));
      }, 0);
    },
  }, kept);
  const typing = useTyping(mesh);
  const delivery = useDelivery(mesh);
  const unread = useUnread(messages, t('appTitle'));
  const meshRef = useRef(mesh);
  meshRef.current = mesh;
  const maxImageBytes = settings?.maxImageBytes ?? IMAGE_MAX_BYTES;
  // Stable, so that the log's earlier messages are not rendered again (MessageLog.tsx).
  const enlarge = useCallback((url: string, name: string) => setEnlarged({ url, name }), []);

  useEffect(() => {
    if (status === 'unauthorized') onLogout(refusedAsExtraDevice.current ? t('err.TOO_MANY_DEVICES') : t('sessionEnded'));
  }, [status]);

  function meshErrorText(e: MeshError): string {
    if (e.code === 'UNREACHABLE') return t('err.UNREACHABLE_PEER');
    if (IMAGE_REFUSAL_CODES.has(e.code)) {
      const peer = meshRef.current?.peers().find((p) => p.peerId === e.peerId);
      return imageRefusalText(t, e, peer?.displayName || peer?.username || '?', { limit: formatBytes(maxImageBytes) });
    }
    return errorText(t, e, { limit: formatBytes(maxImageBytes), name: '?' });
  }

  function sendText(text: string): boolean {
    if (!mesh) return false;
    try {
      mesh.sendText(text);
      setError(null);
      unread.clear();
      return true;
    } catch (err) {
      setError(errorText(t, err, { limit: 10_000 }));
      return false;
    }
  }

  async function sendFiles(files: File[]) {
    if (!mesh) return;
    setError(null);
    for (const file of files) {
      try {
        // Refuse before reading a huge file into memory; the mesh checks again on the bytes.
        if (file.size > maxImageBytes) throw new ChatError('IMAGE_TOO_LARGE', file.name);
        const bytes = new Uint8Array(await file.arrayBuffer());
        rememberSource(bytes, file);
        await mesh.sendImage(bytes, file.name);
      } catch (err) {
        setError(errorText(t, err, { name: file.name, limit: formatBytes(maxImageBytes) }));
      }
    }
  }

  const me = self ?? { username: session.user.username, displayName: session.user.displayName };
  return (
    <div
      class={dragging ? 'room dragging' : 'room'}
      onDragOver={(e) => {
        if (!e.dataTransfer?.types.includes('Files')) return;
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={(e) => e.target === e.currentTarget && setDragging(false)}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        const files = [...(e.dataTransfer?.files ?? [])];
        if (files.length) void sendFiles(files);
      }}
    >
      <div class="room-bar">
        <StatusLine status={status} />
        <button type="button" onClick={() => onLogout(null)}>
          {t('logOut')}
        </button>
      </div>
      <UserList self={me} peers={peers} />
      <section class="conversation">
        <MessageLog messages={messages} onEnlarge={enlarge} onImageShown={shown} firstUnreadId={unread.firstUnreadId} delivery={delivery} />
        <TypingLine typing={typing.typing} />
        <Transfers mesh={mesh} peers={peers} />
        <Alert text={error} onDismiss={() => setError(null)} />
        <Composer onSend={sendText} onFiles={(files) => void sendFiles(files)} onTyping={() => mesh?.typing()} />
      </section>
      {enlarged && <Lightbox url={enlarged.url} name={enlarged.name} onClose={() => setEnlarged(null)} />}
    </div>
  );
}
