// The message box: Enter sends, Shift+Enter adds a line; Send, Clear and the image picker.
// Pasted images are handed to `onFiles` like picked ones.

import { useId, useRef, useState } from 'preact/hooks';
import { IMAGE_MIME_TYPES, TEXT_MAX_CHARS } from '../../../shared/limits';
import { useI18n } from '../../i18n';

interface ComposerProps {
  /** Returns false when the text was not sent (it then stays in the box). */
  onSend: (text: string) => boolean;
  onFiles: (files: File[]) => void;
  /** The user typed something (the mesh tells the others, throttled). */
  onTyping?: () => void;
}

export function Composer({ onSend, onFiles, onTyping }: ComposerProps) {
  const { t } = useI18n();
  const id = useId();
  const [text, setText] = useState('');
  const textRef = useRef<HTMLTextAreaElement>(null);

  function send() {
    if (!text.trim()) return;
    if (onSend(text)) setText('');
    textRef.current?.focus();
  }

  return (
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
      <label for={`${id}-text`} class="composer-label">
        {t('message')}
      </label>
      <textarea
        id={`${id}-text`}
        ref={textRef}
        rows={2}
        autoFocus
        maxLength={TEXT_MAX_CHARS}
        value={text}
        onInput={(e) => {
          setText(e.currentTarget.value);
          if (e.currentTarget.value.trim()) onTyping?.();
        }}
        onKeyDown={(e) => {
          // isComposing: Enter that confirms an IME candidate (e.g. pinyin) must not send.
          if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
            e.preventDefault();
            send();
          }
        }}
        onPaste={(e) => {
          const files = [...(e.clipboardData?.files ?? [])];
          if (files.length) {
            e.preventDefault();
            onFiles(files);
          }
        }}
      />
      <div class="composer-buttons">
        <button type="submit" class="primary">
          {t('send')}
        </button>
        <button
          type="button"
          onClick={() => {
            setText('');
            textRef.current?.focus();
          }}
        >
          {t('clear')}
        </button>
        {/* The input comes first so the focus style can reach the label that looks like a button. */}
        <input
          id={`${id}-file`}
          class="visually-hidden"
          type="file"
          accept={IMAGE_MIME_TYPES.join(',')}
          multiple
          onChange={(e) => {
            const input = e.currentTarget;
            const files = [...(input.files ?? [])];
            input.value = ''; // so picking the same file again fires change again
            if (files.length) onFiles(files);
          }}
        />
        <label for={`${id}-file`} class="file-button">
          {t('sendImage')}
        </label>
      </div>
    </form>
  );
}
