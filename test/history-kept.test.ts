// What a page passes on of its stored history (client/app/chat/messages.ts keptEntryOf): signed
// messages as records the mesh can serve; messages stored before signing (no signature) are kept
// for their owner but never passed on.

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { keptEntryOf } from '../client/app/chat/messages';
import type { StoredMessage } from '../client/app/chat/history';

const from = { peerId: 'p'.repeat(22), username: 'ann', displayName: 'Ann', deviceKey: 'k'.repeat(43) };
const sig = 'A'.repeat(86);

test('an unsigned old record is never passed on; signed texts and images are, the image read on demand', async () => {
  const old: StoredMessage = { id: 'a'.repeat(32), from, sentAt: 1, own: false, receivedAt: 1, kind: 'text', text: 'from before signing', size: 10 };
  assert.equal(keptEntryOf(old), { id: old.id, sentAt: 1, record: null });

  const text: StoredMessage = { ...old, id: 'b'.repeat(32), signed: { device: from.deviceKey, sig } };
  assert.equal(keptEntryOf(text).record, { kind: 'text', id: text.id, author: 'ann', device: from.deviceKey, sentAt: 1, sig, text: 'from before signing' });

  const bytes = new Uint8Array([137, 80, 78, 71]);
  const image: StoredMessage = {
    id: 'c'.repeat(32), from, sentAt: 2, own: true, receivedAt: 2, kind: 'image', name: 'x.png', mime: 'image/png',
    blob: new Blob([bytes], { type: 'image/png' }), size: 4, signed: { device: from.deviceKey, sig, sha256: 'f'.repeat(64) },
  };
  const entry = keptEntryOf(image);
  assert.equal(entry.record, { kind: 'image', id: image.id, author: 'ann', device: from.deviceKey, sentAt: 2, sig, sha256: 'f'.repeat(64), mime: 'image/png', size: 4, name: 'x.png' });
  assert.ok(typeof entry.bytes === 'function');
  assert.equal([...(await (entry.bytes as () => Promise<Uint8Array>)())], [...bytes]);

  const unsignedImage: StoredMessage = { ...image, id: 'd'.repeat(32), signed: undefined };
  assert.is(keptEntryOf(unsignedImage).record, null);
});

test.run();
