// @roamhq/wrtc for Node callers (CLI, tests, benchmarks), with one workaround: wrtc can segfault
// when the garbage collector finalizes a closed RTCPeerConnection (WonderInventions/node-webrtc
// issue 35; seen here in a long test run). Keeping every connection referenced means finalizers
// never run before the process exits; a closed connection holds little, and a session makes few.

import wrtc from '@roamhq/wrtc';

const kept: unknown[] = [];

type PeerConnectionCtor = new (...args: unknown[]) => object;
const Native = (wrtc as unknown as { RTCPeerConnection: PeerConnectionCtor }).RTCPeerConnection;

function RTCPeerConnection(this: unknown, ...args: unknown[]): object {
  const pc = new Native(...args);
  kept.push(pc);
  return pc;
}
RTCPeerConnection.prototype = Native.prototype;

export const nodeWrtc: unknown = { ...(wrtc as object), RTCPeerConnection };
