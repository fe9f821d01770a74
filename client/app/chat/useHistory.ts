// The messages of the room: history from IndexedDB first, then everything the mesh delivers,
// each kept once (by id) in the view and in the store.

import { useEffect, useRef, useState } from 'preact/hooks';
import type { ChatMessage } from '../../mesh/api';
import { History, historyDatabaseName, type StoredMessage } from './history';
import { mergeMessages, toStored } from './messages';

export function useHistory(origin: string, username: string) {
  const [messages, setMessages] = useState<StoredMessage[]>([]);
  const historyRef = useRef<Promise<History | null> | null>(null);

  useEffect(() => {
    const opening = History.open(historyDatabaseName(origin, username)).catch((err) => {
      // No IndexedDB (e.g. a locked-down browser): the room still works without history.
      console.warn('history unavailable', err);
      return null;
    });
    historyRef.current = opening;
    let cancelled = false;
    opening.then(async (history) => {
      const kept = (await history?.load().catch(() => [])) ?? [];
      if (!cancelled) setMessages((current) => mergeMessages(kept, current));
    });
    return () => {
      cancelled = true;
      opening.then((history) => history?.close());
    };
  }, [origin, username]);

  function add(message: ChatMessage): void {
    const stored = toStored(message, Date.now());
    setMessages((current) => mergeMessages(current, [stored]));
    historyRef.current?.then((history) => history?.add(stored)).catch((err) => console.warn('history write failed', err));
  }

  return { messages, add };
}
