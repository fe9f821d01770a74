// Mounts the real MessageLog in a bare page for tests of its scrolling (bundled by the test).

import { render } from 'preact';
import { MessageLog } from '../../../client/app/chat/MessageLog';
import type { StoredMessage } from '../../../client/app/chat/history';

const from = { peerId: 'p'.repeat(22), username: 'ann', displayName: 'Ann', deviceKey: 'k'.repeat(43) };

/** A text message with a given id (hex) and time; tall enough that a few fill the view. */
function text(id: string, sentAt: number): StoredMessage {
  return { id, from, sentAt, own: false, receivedAt: sentAt, kind: 'text', text: `message at ${sentAt}\n\nsecond paragraph`, size: 10 };
}

// uvu loads every file under test/browser in Node too: there is no window there, and nothing to do.
if (typeof window !== 'undefined') (window as unknown as { logHarness: unknown }).logHarness = {
  text,
  show(messages: StoredMessage[]) {
    render(<MessageLog messages={messages} onEnlarge={() => {}} />, document.getElementById('app')!);
  },
};
