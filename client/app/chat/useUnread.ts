// Messages that arrived while the page was hidden: counted in the tab title ("(3) ChatRoom"), and
// the first of them marked in the log ("New messages") when the reader comes back. The mark stays
// until the page is hidden again or the reader sends something.

import { useEffect, useRef, useState } from 'preact/hooks';
import type { StoredMessage } from './history';

export interface Unread {
  /** The first message that arrived while the page was hidden, or null. */
  firstUnreadId: string | null;
  /** The reader sent a message: the mark has done its job. */
  clear(): void;
}

export function useUnread(messages: StoredMessage[], title: string): Unread {
  const [firstUnreadId, setFirstUnreadId] = useState<string | null>(null);
  const [hidden, setHidden] = useState(() => document.visibilityState === 'hidden');
  /** Ids present when the page was hidden: anything else not own is new. */
  const seenWhenHidden = useRef<Set<string> | null>(hidden ? new Set(messages.map((m) => m.id)) : null);

  useEffect(() => {
    const onChange = () => {
      const nowHidden = document.visibilityState === 'hidden';
      if (nowHidden) {
        seenWhenHidden.current = new Set(messages.map((m) => m.id));
        setFirstUnreadId(null);
      }
      setHidden(nowHidden);
    };
    document.addEventListener('visibilitychange', onChange);
    return () => document.removeEventListener('visibilitychange', onChange);
  }, [messages]);

  const seen = seenWhenHidden.current;
  const unread = seen ? messages.filter((m) => !m.own && !seen.has(m.id)) : [];
  useEffect(() => {
    document.title = hidden && unread.length > 0 ? `(${unread.length}) ${title}` : title;
    if (hidden && unread.length > 0 && firstUnreadId === null) setFirstUnreadId(unread[0].id);
  }, [hidden, unread.length, title]);
  useEffect(() => () => void (document.title = title), [title]);

  return {
    firstUnreadId,
    clear: () => setFirstUnreadId(null),
  };
}
