// The messages of the room: history from IndexedDB first, then everything the mesh delivers,
// each kept once (by id) in the view and in the store. An image is stored once it is shown.

import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { HISTORY_IMAGE_WRITE_LATEST_MS } from '../../../shared/limits';
import type { ChatMessage } from '../../mesh/api';
import { History, historyDatabaseName, type StoredMessage } from './history';
import { keptEntryOf, mergeMessages, toStored } from './messages';
import type { KeptEntry } from '../../mesh/api';

export function useHistory(origin: string, username: string) {
  const [messages, setMessages] = useState<StoredMessage[]>([]);
  const historyRef = useRef<Promise<History | null> | null>(null);
  /** The stored messages once loaded ([] without IndexedDB): what the mesh can pass on to newcomers. */
  const loadedRef = useRef<Promise<StoredMessage[]>>(Promise.resolve([]));
  const pendingImages = useRef(new Map<string, { stored: StoredMessage; timer: ReturnType<typeof setTimeout>; kept: () => void }>());

  /** Resolves once written (or once the write failed: the message is still shown, just not kept). */
  function write(stored: StoredMessage): Promise<void> {
    return (historyRef.current ?? Promise.resolve(null))
      .then((history) => history?.add(stored))
      .catch((err) => console.warn('history write failed', err));
  }

  /** The image `id` is on screen (or failed to load): write it now if it waits. The same function every render. */
  const shown = useCallback((id: string): void => {
    const pending = pendingImages.current.get(id);
    if (!pending) return;
    pendingImages.current.delete(id);
    clearTimeout(pending.timer);
    void write(pending.stored).then(pending.kept);
  }, []);

  useEffect(() => {
    const opening = History.open(historyDatabaseName(origin, username)).catch((err) => {
      // No IndexedDB (e.g. a locked-down browser): the room still works without history.
      console.warn('history unavailable', err);
      return null;
    });
    historyRef.current = opening;
    let cancelled = false;
    const loaded = opening.then(async (history) => (await history?.load().catch(() => [])) ?? []);
    loadedRef.current = loaded;
    void loaded.then((kept) => {
      if (!cancelled) setMessages((current) => mergeMessages(kept, current));
    });
    const pending = pendingImages.current;
    return () => {
      cancelled = true;
      // Images not shown yet are written before the database closes.
      for (const id of [...pending.keys()]) shown(id);
      opening.then((history) => history?.close());
    };
  }, [origin, username]);

  /** Shows `message` and keeps it; resolves once it is both shown and stored (an image: once it has loaded). */
  function add(message: ChatMessage): Promise<void> {
    const stored = toStored(message, Date.now());
    setMessages((current) => mergeMessages(current, [stored]));
    if (stored.kind !== 'image') return write(stored);
    // Shown first, stored second: see HISTORY_IMAGE_WRITE_LATEST_MS.
    const pending = pendingImages.current;
    if (pending.has(stored.id)) return Promise.resolve();
    return new Promise((kept) => {
      pending.set(stored.id, { stored, kept, timer: setTimeout(() => shown(stored.id), HISTORY_IMAGE_WRITE_LATEST_MS) });
    });
  }


  /** For the mesh (MeshOptions.keptHistory): the stored history as it can be passed on. The same function every render. */
  const kept = useCallback((): Promise<KeptEntry[]> => loadedRef.current.then((stored) => stored.map(keptEntryOf)), []);

  return { messages, add, shown, kept };
}
