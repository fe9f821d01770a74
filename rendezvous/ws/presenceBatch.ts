// One presence batch, encoded once for every socket of this node. The peers that joined in it hear
// about the others but not about themselves: each gets the shared bytes without its own entry, as
// two slices of the same Buffer sent as fragments of one message, with no copy. Building a list
// per joiner was O(joiners^2) per flush, and after a restart every socket is a joiner.

import { encodeMessage, type PeerId, type PeerInfo } from '../../shared/protocol';

const EMPTY_JOINED_FIELD = '"joined":[]';

export class PresenceBatch {
  /** The message for everyone who did not join in this batch. */
  readonly shared: Buffer;
  /** Byte span of each joiner's entry in `shared`. */
  private readonly spans = new Map<PeerId, { start: number; end: number }>();
  private readonly firstStart: number;
  private readonly lastEnd: number;

  constructor(joined: readonly PeerInfo[], private readonly left: readonly PeerId[]) {
    // Peer ids are base64url, so the field can only be the key itself.
    const empty = encodeMessage({ type: 'presence', joined: [], left: [...left] });
    const at = empty.indexOf(EMPTY_JOINED_FIELD) + EMPTY_JOINED_FIELD.length - 1;
    const pieces = [empty.slice(0, at)];
    let offset = Buffer.byteLength(pieces[0]);
    this.firstStart = offset;
    for (const info of joined) {
      if (pieces.length > 1) {
        pieces.push(',');
        offset++;
      }
      const json = JSON.stringify(info);
      const end = offset + Buffer.byteLength(json);
      this.spans.set(info.peerId, { start: offset, end });
      pieces.push(json);
      offset = end;
    }
    this.lastEnd = offset;
    pieces.push(empty.slice(at));
    this.shared = Buffer.from(pieces.join(''));
  }

  /** The fragments of what `peerId` is sent: the batch without its own entry; none when that leaves nothing. */
  for(peerId: PeerId): Buffer[] {
    const span = this.spans.get(peerId);
    if (!span) return [this.shared];
    if (this.spans.size === 1 && this.left.length === 0) return [];
    let { start, end } = span;
    // One comma goes with the entry: the one after it, or before it when it is the last.
    if (end < this.lastEnd) end++;
    else if (start > this.firstStart) start--;
    return [this.shared.subarray(0, start), this.shared.subarray(end)];
  }
}
