// A `ws` WebSocket for a mesh under test whose incoming binary messages (relayed peer frames) can be
// held back and released later, in order, while JSON (signaling, presence) keeps flowing: a relay
// path that is slow at a moment the test chooses, with the direct path free to come up meanwhile.

import WebSocket from 'ws';

type Handler = ((ev: { data: unknown }) => void) | null;

export interface HoldingSockets {
  /** The constructor to pass as MeshOptions.WebSocket. */
  WebSocket: typeof WebSocket;
  hold(): void;
  /** Delivers what was held, in arrival order, and stops holding. */
  release(): void;
  readonly held: number;
}

export function holdingSockets(): HoldingSockets {
  let holding = false;
  const queue: { deliver: () => void }[] = [];
  const setter = Object.getOwnPropertyDescriptor(WebSocket.prototype, 'onmessage')!.set!;
  class Holding extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args);
      let current: Handler = null;
      Object.defineProperty(this, 'onmessage', {
        get: () => current,
        set: (fn: Handler) => {
          current = fn;
          setter.call(this, fn && ((ev: { data: unknown }) => {
            if (holding && typeof ev.data !== 'string') queue.push({ deliver: () => fn(ev) });
            else fn(ev);
          }));
        },
      });
    }
  }
  return {
    WebSocket: Holding as unknown as typeof WebSocket,
    hold: () => {
      holding = true;
    },
    release: () => {
      holding = false;
      for (const item of queue.splice(0)) item.deliver();
    },
    get held() {
      return queue.length;
    },
  };
}

/** A wrtc whose RTCPeerConnections are counted: live now (made and not closed) and the most alive at once. */
export function countingWrtc(wrtc: unknown): { wrtc: unknown; live(): number; peak(): number; made(): number } {
  let live = 0;
  let peak = 0;
  let made = 0;
  const Base = (wrtc as { RTCPeerConnection: new (...args: unknown[]) => { close(): void } }).RTCPeerConnection;
  function RTCPeerConnection(...args: unknown[]): object {
    const pc = new Base(...args);
    made++;
    live++;
    peak = Math.max(peak, live);
    const close = pc.close.bind(pc);
    let open = true;
    pc.close = () => {
      if (open) live--;
      open = false;
      close();
    };
    return pc;
  }
  RTCPeerConnection.prototype = Base.prototype;
  return { wrtc: { ...(wrtc as object), RTCPeerConnection }, live: () => live, peak: () => peak, made: () => made };
}
