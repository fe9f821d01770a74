// The messages in the room's order, kept scrolled to the newest unless the reader scrolled up; then
// the message at the top of the view stays where it is when others are inserted above it (history
// from peers, a late message), so the log never jumps under the reader.

import { Component, Fragment } from 'preact';
import { useLayoutEffect, useRef } from 'preact/hooks';
import { useI18n } from '../../i18n';
import type { StoredMessage } from './history';
import { ImageBubble } from './ImageBubble';
import type { DeliveryState } from '../../mesh/api';
import type { Deliveries } from './useDelivery';

interface MessageLogProps {
  messages: StoredMessage[];
  onEnlarge: (url: string, name: string) => void;
  /** An image message loaded (or failed to), by id. */
  onImageShown?: (id: string) => void;
  /** The first message that arrived while the page was hidden: a "New messages" line goes before it. */
  firstUnreadId?: string | null;
  /** Delivery of own messages, by id. */
  delivery?: Deliveries;
}

type ItemProps = { message: StoredMessage; delivery?: DeliveryState } & Pick<MessageLogProps, 'onEnlarge' | 'onImageShown'>;

/** "Sending", "Delivered to 1 of 2", "Nobody else was online": what became of an own message. */
function DeliveryLine({ state }: { state: DeliveryState }) {
  const { t } = useI18n();
  const text = state.total === 0 ? t('deliveredToNobody') : state.delivered === 0 ? t('sendingState') : t('deliveredTo', { k: state.delivered, n: state.total });
  return <p class="delivery">{text}</p>;
}

function MessageItem({ message, onEnlarge, onImageShown, delivery }: ItemProps) {
  const { lang } = useI18n();
  const date = new Date(message.sentAt);
  const valid = Number.isFinite(date.getTime());
  return (
    <article class={message.own ? 'message own' : 'message'} data-message-id={message.id}>
      <header>
        <span class="sender">{message.from.displayName}</span> <span class="username">@{message.from.username}</span>{' '}
        {valid && (
          <time dateTime={date.toISOString()}>{date.toLocaleString(lang, { dateStyle: 'short', timeStyle: 'medium' })}</time>
        )}
      </header>
      {message.kind === 'text' ? (
        <p class="text">{message.text}</p>
      ) : (
        message.blob && <ImageBubble blob={message.blob} name={message.name ?? ''} onEnlarge={onEnlarge} onShown={() => onImageShown?.(message.id)} />
      )}
      {message.own && delivery && <DeliveryLine state={delivery} />}
    </article>
  );
}

/**
 * A message renders again only when it or the callbacks change: the log renders on every new
 * message, and re-rendering (and re-formatting the date of) every earlier one made each text that
 * arrived during an image cost more the longer the room's history (issue 14). The language is a
 * context, so a change of it still reaches each item.
 */
class MessageRow extends Component<ItemProps> {
  override shouldComponentUpdate(next: ItemProps): boolean {
    const props = this.props;
    return next.message !== props.message || next.delivery !== props.delivery || next.onEnlarge !== props.onEnlarge || next.onImageShown !== props.onImageShown;
  }

  override render(props: ItemProps) {
    return <MessageItem {...props} />;
  }
}

/** The first message at least partly in view, and how far its top is from the view's top (px). */
function topOfView(log: HTMLElement): { id: string; offset: number } | null {
  const top = log.getBoundingClientRect().top;
  for (const item of log.querySelectorAll<HTMLElement>('article[data-message-id]')) {
    const box = item.getBoundingClientRect();
    if (box.bottom > top) return { id: item.dataset.messageId!, offset: box.top - top };
  }
  return null;
}

export function MessageLog({ messages, onEnlarge, onImageShown, firstUnreadId, delivery }: MessageLogProps) {
  const { t } = useI18n();
  const ref = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  /** Where the reader is, taken at each scroll: restored after messages are inserted above. */
  const anchor = useRef<{ id: string; offset: number } | null>(null);
  const followNewest = () => {
    const el = ref.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  };
  const keepReaderInPlace = () => {
    const el = ref.current;
    if (!el || stick.current) return followNewest();
    const was = anchor.current;
    const item = was && el.querySelector<HTMLElement>(`article[data-message-id="${was.id}"]`);
    if (!was || !item) return;
    el.scrollTop += item.getBoundingClientRect().top - el.getBoundingClientRect().top - was.offset;
  };
  useLayoutEffect(keepReaderInPlace, [messages]);
  return (
    <div
      class="log"
      role="log"
      aria-label={t('messages')}
      tabIndex={0}
      ref={ref}
      // An image that finishes loading grows the log: stay at the bottom if we were there.
      onLoadCapture={followNewest}
      onScroll={(e) => {
        const el = e.currentTarget;
        stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
        anchor.current = stick.current ? null : topOfView(el);
      }}
    >
      {messages.length === 0 && <p class="muted empty">{t('noMessages')}</p>}
      {messages.map((m) => (
        <Fragment key={m.id}>
          {m.id === firstUnreadId && (
            <p class="new-messages" role="separator" aria-label={t('newMessages')}>
              {t('newMessages')}
            </p>
          )}
          <MessageRow message={m} onEnlarge={onEnlarge} onImageShown={onImageShown} delivery={delivery?.get(m.id)} />
        </Fragment>
      ))}
    </div>
  );
}
