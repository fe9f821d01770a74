// PathController with fakes for the direct link, the relay and signaling: the path rules of relay
// first and the direct-link budget, without WebRTC (the mesh-relayfirst tests run them for real).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { RelayMode } from '../shared/protocol';
import type { PeerSignal } from '../shared/peerSignal';
import { LinkBudget } from '../client/mesh/linkBudget';
import { PathController, type DirectLink, type DirectLinkEvents, type PathEnvironment } from '../client/mesh/pathController';
import type { Transport } from '../client/mesh/sendQueue';
import { DEFAULT_TIMEOUTS } from '../client/mesh/timeouts';

const transport = (): Transport => ({ writable: () => true, write: () => true });

class FakeLink implements DirectLink {
  readonly transport = transport();
  closed = false;
  readonly signals: Record<string, unknown>[] = [];
  constructor(readonly id: string, readonly events: DirectLinkEvents) {}
  signal(data: Record<string, unknown>): void {
    this.signals.push(data);
  }
  close(): void {
    this.closed = true;
  }
  cutSilently(): void {}
}

interface Harness {
  path: PathController;
  links: FakeLink[];
  sent: PeerSignal[];
  switches: { to: 'direct' | 'relay' | 'none'; resend: boolean }[];
  dead: string[];
  unreachable: string[];
  relay: Transport;
  /** The newest link. */
  link(): FakeLink;
}

function harness(opts: { initiator: boolean; mode?: RelayMode; budget?: LinkBudget | null; peerId?: string; online?: boolean }): Harness {
  const links: FakeLink[] = [];
  const sent: PeerSignal[] = [];
  const switches: Harness['switches'] = [];
  const dead: string[] = [];
  const unreachable: string[] = [];
  const relay = transport();
  let n = 0;
  const env: PathEnvironment = {
    peerId: opts.peerId ?? 'peer-b',
    initiator: opts.initiator,
    // Long timers: these tests drive every event by hand.
    timeouts: { ...DEFAULT_TIMEOUTS, retryFirstMs: 60_000, directConnectMs: 60_000 },
    budget: opts.budget ?? null,
    relayMode: () => opts.mode ?? 'auto',
    signalingOnline: () => opts.online ?? true,
    sendSignal: (s) => sent.push(s),
    relayTransport: () => relay,
    openDirect: (id, events) => {
      const link = new FakeLink(id, events);
      links.push(link);
      return link;
    },
    newAttemptId: () => `a${++n}`,
    tellAttemptDead: (id) => dead.push(id),
    switchTo: (t, resend) => switches.push({ to: t === relay ? 'relay' : t === null ? 'none' : 'direct', resend }),
    stateChanged: () => {},
    unreachable: (reason) => unreachable.push(reason),
  };
  const path = new PathController(env);
  return { path, links, sent, switches, dead, unreachable, relay, link: () => links[links.length - 1] };
}

const offer = (attempt: string): PeerSignal => ({ kind: 'webrtc', attempt, signal: { type: 'offer', sdp: 'v=0' } });

test('relay first: the relay carries from the start while the direct attempt runs; the upgrade keeps what is in flight', () => {
  const h = harness({ initiator: true });
  h.path.start();
  assert.is(h.path.state, 'relay');
  assert.equal(h.switches, [{ to: 'relay', resend: true }]);
  assert.is(h.path.phase, 'trial');
  assert.is(h.links.length, 1, 'an attempt is made at once');
  h.link().events.confirmed();
  assert.is(h.path.state, 'direct');
  assert.equal(h.switches[1], { to: 'direct', resend: false }, 'an upgrade re-sends nothing');
});

test('a quiet direct link hands sending to the relay at once and takes it back when heard; a failed one is torn down', () => {
  const h = harness({ initiator: true });
  h.path.start();
  h.link().events.confirmed();
  h.link().events.quiet();
  assert.is(h.path.state, 'relay');
  assert.equal(h.switches.at(-1), { to: 'relay', resend: true }, 'what went on the quiet link may be lost');
  assert.not.ok(h.link().closed, 'the link gets its grace');
  h.link().events.heard();
  assert.is(h.path.state, 'direct');
  assert.equal(h.switches.at(-1), { to: 'direct', resend: false });
  h.link().events.failed('heartbeat lost');
  assert.ok(h.link().closed);
  assert.is(h.path.state, 'relay');
  assert.equal(h.switches.at(-1), { to: 'relay', resend: true });
  assert.equal(h.dead, ['a1'], 'the other side is told over the relay');
  assert.equal(h.unreachable, [], 'not unreachable: the relay carries');
});

test('relay off: nothing carries until the link is confirmed, unreachable after a failure', () => {
  const h = harness({ initiator: true, mode: 'off' });
  h.path.start();
  assert.is(h.path.state, 'connecting');
  assert.equal(h.switches, [], 'no transport yet');
  h.link().events.failed('direct link did not open in time');
  assert.is(h.path.state, 'unreachable');
  assert.is(h.unreachable.length, 1);
  assert.equal(h.dead, [], 'no PATH frame without a relay');
});

test('relay force: no direct attempt at all, offers are ignored', () => {
  const h = harness({ initiator: false, mode: 'force' });
  h.path.start();
  h.path.onSignal(offer('x'));
  assert.is(h.links.length, 0);
  assert.is(h.path.state, 'relay');
});

test('budget: an initiator waits for a free slot, first come first served, and gets it when one is released', () => {
  const budget = new LinkBudget(1);
  const a = harness({ initiator: true, budget, peerId: 'p1' });
  const b = harness({ initiator: true, budget, peerId: 'p2' });
  a.path.start();
  b.path.start();
  assert.is(a.path.phase, 'trial');
  assert.is(b.path.phase, 'waiting-slot');
  assert.is(b.links.length, 0, 'no attempt beyond the budget');
  assert.is(b.path.state, 'relay', 'the relay carries meanwhile');
  a.link().events.confirmed();
  assert.is(budget.used, 1);
  a.link().events.failed('ICE failed');
  assert.is(b.path.phase, 'trial', 'the released slot went to the waiting pair');
  assert.is(a.path.phase, 'idle', 'the failed pair retries later, behind it');
  assert.is(budget.peak, 1);
});

test('budget: a full responder declines; the initiator stays on the relay, does not offer again until told free', () => {
  const responderBudget = new LinkBudget(1);
  const other = harness({ initiator: false, budget: responderBudget, peerId: 'p-other' });
  other.path.onSignal(offer('o1'));
  assert.ok(responderBudget.holds('p-other'));
  const responder = harness({ initiator: false, budget: responderBudget, peerId: 'p-init' });
  const initiator = harness({ initiator: true, budget: new LinkBudget(4) });
  initiator.path.start();
  const attempt = initiator.link().id;
  responder.path.onSignal(offer(attempt));
  assert.equal(responder.sent, [{ kind: 'decline', attempt }]);
  assert.is(responder.links.length, 0, 'no half-open link on the responder');
  initiator.path.onSignal(responder.sent[0]);
  assert.is(initiator.path.phase, 'declined');
  assert.ok(initiator.link().closed, 'the initiator closes its half');
  assert.is(initiator.path.state, 'relay');
  // A retry timer never fires while declined; a stray signal changes nothing.
  initiator.path.onSignalingResumed(); // lost signals: one more offer is allowed
  assert.is(initiator.links.length, 2);
  responder.path.onSignal(offer(initiator.link().id));
  assert.is(responder.sent.length, 2, 'declined again');
  assert.is(responder.sent[1].kind, 'decline');
  initiator.path.onSignal(responder.sent[1]);
  assert.is(initiator.links.length, 2, 'no offer until free');
  // The responder's other link fails: its slot is kept for the declined initiator, which is told.
  other.link().events.failed('ICE failed');
  assert.equal(responder.sent[2], { kind: 'free' });
  assert.ok(responderBudget.holds('p-init'), 'slot kept for its offer');
  initiator.path.onSignal({ kind: 'free' });
  assert.is(initiator.links.length, 3);
  responder.path.onSignal(offer(initiator.link().id));
  assert.is(responder.links.length, 1, 'accepted on the kept slot');
  assert.is(responder.sent.length, 3);
  initiator.link().events.confirmed();
  responder.link().events.confirmed();
  assert.is(initiator.path.state, 'direct');
  assert.is(responder.path.state, 'direct');
});

test('budget: a pair that leaves gives its slot and its place in line back', () => {
  const budget = new LinkBudget(1);
  const a = harness({ initiator: true, budget, peerId: 'p1' });
  const b = harness({ initiator: true, budget, peerId: 'p2' });
  const c = harness({ initiator: true, budget, peerId: 'p3' });
  a.path.start();
  b.path.start();
  c.path.start();
  b.path.destroy();
  a.path.destroy();
  assert.is(c.path.phase, 'trial');
  assert.is(b.links.length, 0);
  assert.ok(a.link().closed);
  assert.is(budget.used, 1);
});

test('LinkBudget: take is idempotent per peer, nobody jumps the line, close stops granting', () => {
  const budget = new LinkBudget(2);
  assert.ok(budget.take('a'));
  assert.ok(budget.take('a'));
  assert.is(budget.used, 1);
  assert.ok(budget.take('b'));
  let granted = '';
  budget.wait('c', () => (granted += 'c'));
  assert.not.ok(budget.take('d'), 'full');
  budget.release('a');
  assert.is(granted, 'c');
  budget.wait('d', () => (granted += 'd'));
  budget.release('b');
  assert.is(granted, 'cd');
  budget.wait('e', () => (granted += 'e'));
  assert.not.ok(budget.take('f'), 'e waits first');
  budget.close();
  budget.release('c');
  assert.is(granted, 'cd', 'nothing granted after close');
  assert.is(budget.peak, 2);
});

test('an attempt whose SDP is not signed by the peer is refused: closed, its slot given back, the other side told, the relay carries', () => {
  const budget = new LinkBudget(1);
  const init = harness({ initiator: true, budget });
  init.path.start();
  assert.is(init.path.phase, 'trial');
  init.path.refuse('a1', 'answer not signed');
  assert.ok(init.link().closed);
  assert.is(init.path.phase, 'idle');
  assert.is(init.path.state, 'relay');
  assert.equal(init.dead, ['a1'], 'the responder hears the attempt is dead');
  assert.is(budget.used, 0, 'the slot is free again');

  const resp = harness({ initiator: false });
  resp.path.start();
  resp.path.refuse('x9', 'offer not signed');
  assert.is(resp.links.length, 0, 'no connection is made for a refused offer');
  assert.equal(resp.dead, ['x9']);
  assert.is(resp.path.state, 'relay');
});

test.run();
