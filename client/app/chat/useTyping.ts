// Who is typing now: a peer's notice shows for TYPING_SHOW_MS, or until a message of that peer arrives.

import { useEffect, useRef, useState } from 'preact/hooks';
import { TYPING_SHOW_MS } from '../../../shared/limits';
import type { ChatMessage, Mesh } from '../../mesh/api';
import type { PeerInfo, PeerId } from '../../../shared/protocol';

export interface Typing {
  /** The peers typing now, in the order they started. */
  typing: PeerInfo[];
  /** A message arrived: its sender stopped typing. */
  messageFrom(message: ChatMessage): void;
}

export function useTyping(mesh: Mesh | null): Typing {
  const [typing, setTyping] = useState<PeerInfo[]>([]);
  const timers = useRef(new Map<PeerId, ReturnType<typeof setTimeout>>());
  const stop = (peerId: PeerId) => {
    clearTimeout(timers.current.get(peerId));
    timers.current.delete(peerId);
    setTyping((list) => (list.some((p) => p.peerId === peerId) ? list.filter((p) => p.peerId !== peerId) : list));
  };
  useEffect(() => {
    if (!mesh) return;
    const off = mesh.on('typing', (peer) => {
      clearTimeout(timers.current.get(peer.peerId));
      timers.current.set(peer.peerId, setTimeout(() => stop(peer.peerId), TYPING_SHOW_MS));
      setTyping((list) => (list.some((p) => p.peerId === peer.peerId) ? list : [...list, peer]));
    });
    return () => {
      off();
      for (const t of timers.current.values()) clearTimeout(t);
      timers.current.clear();
    };
  }, [mesh]);
  return { typing, messageFrom: (m) => !m.own && stop(m.from.peerId) };
}
