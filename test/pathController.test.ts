// PathController with fakes for the direct link, the relay and signaling: the path rules of relay
// first and the direct-link budget, without WebRTC (the mesh-relayfirst tests run them for real).

import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { RelayMode } from '../shared/protocol';
import type { PeerSignal } from '../shared/peerSignal';
import { LinkBudget } from '../client/mesh/linkBudget';
import { DIRECT_FAILED_ATTEMPTS_MAX } from '../shared/limits';
import type { MeshTimeouts } from '../client/mesh/timeouts';
import { PathController } from '../client/mesh/pathController';
import type { DirectLink, DirectLinkEvents, PathEnvironment } from '../client/mesh/pathEnvironment';
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

/** `grantAsks` (default true): an `ask` is granted at once, as by a responder with room (false: the test answers). */
function harness(opts: { initiator: boolean; mode?: RelayMode; budget?: LinkBudget | null; pacer?: LinkBudget | null; peerId?: string; online?: boolean; timeouts?: Partial<MeshTimeouts>; opened?: () => void; grantAsks?: boolean; lastJoinAt?: () => number }): Harness {
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
    timeouts: { ...DEFAULT_TIMEOUTS, retryFirstMs: 60_000, directConnectMs: 60_000, ...opts.timeouts },
    budget: opts.budget ?? null,
    pacer: opts.pacer ?? null,
    relayMode: () => opts.mode ?? 'auto',
    signalingOnline: () => opts.online ?? true,
    // A calm room (nobody joined lately) unless the test says otherwise.
    lastJoinAt: opts.lastJoinAt ?? (() => 0),
    sendSignal: (s) => {
      sent.push(s);
      if (s.kind === 'ask' && opts.grantAsks !== false) path.onSignal({ kind: 'grant', attempt: s.attempt });
    },
    relayTransport: () => relay,
    openDirect: (id, events) => {
      const link = new FakeLink(id, events);
      links.push(link);
      opts.opened?.();
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

/** Resolves when the harness opens a link, rejects after `ms`. */
function openedWithin(ms: number): { opened: () => void; when: Promise<number> } {
  let opened = () => {};
  const when = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no attempt within ${ms} ms`)), ms);
    opened = () => {
      clearTimeout(timer);
      resolve(Date.now());
    };
  });
  return { opened: () => opened(), when };
}

test('a busy room: the attempt waits until nobody joined for upgradeCalmMs, the relay carrying meanwhile', async () => {
  const joined = Date.now();
  const { opened, when } = openedWithin(5_000);
  const h = harness({ initiator: true, lastJoinAt: () => joined, timeouts: { upgradeCalmMs: 150, upgradeWaitMaxMs: 60_000 }, opened });
  h.path.start();
  assert.is(h.path.state, 'relay', 'the relay carries from the start');
  assert.is(h.links.length, 0, 'no connection while the room is busy');
  assert.is(h.path.phase, 'waiting-calm');
  const at = await when;
  assert.ok(at - joined >= 140, `attempt ${at - joined} ms after the last join`);
  assert.is(h.path.phase, 'trial');
});

test('a room that never calms: the first attempt goes upgradeWaitMaxMs after the pair appeared; relay off: at once', async () => {
  const started = Date.now();
  const { opened, when } = openedWithin(5_000);
  const h = harness({ initiator: true, lastJoinAt: () => Date.now(), timeouts: { upgradeCalmMs: 1_000, upgradeWaitMaxMs: 120 }, opened });
  h.path.start();
  assert.is(h.links.length, 0);
  const at = await when;
  assert.ok(at - started >= 110, `attempt ${at - started} ms after the pair appeared`);
  const off = harness({ initiator: true, mode: 'off', lastJoinAt: () => Date.now(), timeouts: { upgradeCalmMs: 60_000 } });
  off.path.start();
  assert.is(off.links.length, 1, 'with the relay off nothing else carries: no wait');
  h.path.destroy();
  off.path.destroy();
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

test('budget: a full responder declines the ask; the initiator makes no connection and asks again only when told free', () => {
  const responderBudget = new LinkBudget(1);
  const other = harness({ initiator: false, budget: responderBudget, peerId: 'p-other' });
  other.path.onSignal({ kind: 'ask', attempt: 'o1' });
  assert.equal(other.sent, [{ kind: 'grant', attempt: 'o1' }]);
  other.path.onSignal(offer('o1'));
  assert.ok(responderBudget.holds('p-other'));
  const responder = harness({ initiator: false, budget: responderBudget, peerId: 'p-init' });
  const initiatorBudget = new LinkBudget(4);
  const initiator = harness({ initiator: true, budget: initiatorBudget, grantAsks: false });
  initiator.path.start();
  assert.is(initiator.path.phase, 'asking');
  assert.is(initiator.links.length, 0, 'no connection before the responder grants a slot');
  assert.is(initiatorBudget.used, 1, 'the ask holds a slot of its own');
  const ask = initiator.sent[0];
  assert.is(ask.kind, 'ask');
  responder.path.onSignal(ask);
  assert.equal(responder.sent, [{ kind: 'decline', attempt: (ask as { attempt: string }).attempt }]);
  assert.is(responder.links.length, 0, 'no half-open link on the responder');
  initiator.path.onSignal(responder.sent[0]);
  assert.is(initiator.path.phase, 'declined');
  assert.is(initiatorBudget.used, 0, 'the initiator gave its slot back');
  assert.is(initiator.path.state, 'relay');
  // Lost signals: a signaling reconnect allows one more ask, declined again; still no connection anywhere.
  initiator.path.onSignalingResumed();
  assert.is(initiator.sent.length, 2);
  responder.path.onSignal(initiator.sent[1]);
  assert.is(responder.sent[1].kind, 'decline');
  initiator.path.onSignal(responder.sent[1]);
  assert.is(initiator.sent.length, 2, 'no ask until free');
  assert.is(initiator.links.length, 0);
  // The responder's other link fails: its slot is kept for the declined initiator, which is told.
  other.link().events.failed('ICE failed');
  assert.equal(responder.sent[2], { kind: 'free' });
  assert.ok(responderBudget.holds('p-init'), 'slot kept for it');
  initiator.path.onSignal({ kind: 'free' });
  responder.path.onSignal(initiator.sent[2]);
  assert.equal(responder.sent[3], { kind: 'grant', attempt: (initiator.sent[2] as { attempt: string }).attempt }, 'granted on the kept slot');
  initiator.path.onSignal(responder.sent[3]);
  assert.is(initiator.links.length, 1, 'the connection is made once granted');
  responder.path.onSignal(offer(initiator.link().id));
  assert.is(responder.links.length, 1, 'accepted on the kept slot');
  initiator.link().events.confirmed();
  responder.link().events.confirmed();
  assert.is(initiator.path.state, 'direct');
  assert.is(responder.path.state, 'direct');
  assert.is(responderBudget.peak, 1);
});

test('an ask that is never answered counts as a failed attempt: the slot is given back and the pair retries later', async () => {
  const budget = new LinkBudget(2);
  const pacer = new LinkBudget(1);
  const h = harness({ initiator: true, budget, pacer, grantAsks: false, timeouts: { directConnectMs: 20 } });
  const other = harness({ initiator: true, budget, pacer, peerId: 'p-next', grantAsks: false });
  h.path.start();
  other.path.start();
  assert.is(h.path.phase, 'asking');
  assert.is(other.path.phase, 'waiting-slot', 'its turn waits behind the ask in flight');
  await new Promise((r) => setTimeout(r, 60));
  assert.is(h.path.phase, 'idle');
  assert.is(h.links.length, 0);
  assert.is(other.path.phase, 'asking', 'the turn went on');
  h.path.destroy();
  other.path.destroy();
  assert.is(budget.used, 0);
});

test('a responder that granted a slot keeps it one connect timeout for the offer, then hands it on', async () => {
  const budget = new LinkBudget(1);
  const r = harness({ initiator: false, budget, peerId: 'p1', timeouts: { directConnectMs: 20 } });
  r.path.onSignal({ kind: 'ask', attempt: 'x1' });
  assert.equal(r.sent, [{ kind: 'grant', attempt: 'x1' }]);
  assert.ok(budget.holds('p1'));
  await new Promise((res) => setTimeout(res, 60));
  assert.not.ok(budget.holds('p1'), 'no offer came: the slot is free again');
  r.path.destroy();
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

test('pacing: attempts open a few at a time, each on a slot already held; the next opens when one is confirmed or fails', () => {
  const budget = new LinkBudget(3);
  const pacer = new LinkBudget(1);
  const [a, b, c] = ['p1', 'p2', 'p3'].map((peerId) => harness({ initiator: true, budget, pacer, peerId }));
  for (const h of [a, b, c]) h.path.start();
  assert.equal([a, b, c].map((h) => h.links.length), [1, 0, 0], 'one attempt in flight');
  assert.is(budget.used, 3, 'the waiting attempts hold their slots');
  assert.equal([b, c].map((h) => h.path.state), ['relay', 'relay'], 'the relay carries meanwhile');
  a.link().events.confirmed();
  assert.equal([b.links.length, c.links.length], [1, 0], 'the confirmed link let the next open');
  b.link().events.failed('direct link did not open in time');
  assert.is(c.links.length, 1, 'so did the failed one');
  c.path.destroy();
  assert.is(pacer.used, 0);
  assert.is(budget.used, 1, 'only the confirmed link holds a slot');
  for (const h of [a, b]) h.path.destroy();
});

test('pacing: a pair that leaves while waiting its turn gives its turn and its slot back', () => {
  const budget = new LinkBudget(3);
  const pacer = new LinkBudget(1);
  const [a, b, c] = ['p1', 'p2', 'p3'].map((peerId) => harness({ initiator: true, budget, pacer, peerId }));
  for (const h of [a, b, c]) h.path.start();
  b.path.destroy();
  budget.drop('p2');
  a.link().events.failed('ICE failed');
  assert.is(b.links.length, 0);
  assert.is(c.links.length, 1, 'the turn went past the pair that left');
  for (const h of [a, c]) h.path.destroy();
});

test('with the relay carrying, a pair stops offering after DIRECT_FAILED_ATTEMPTS_MAX attempts that never opened; relay off retries on', async () => {
  for (const mode of ['auto', 'off'] as const) {
    let wake = () => {};
    const h = harness({ initiator: true, mode, timeouts: { retryFirstMs: 1, retryMaxMs: 1 }, opened: () => wake() });
    h.path.start();
    for (let i = 0; i < DIRECT_FAILED_ATTEMPTS_MAX + 1; i++) {
      const opened = new Promise<boolean>((resolve) => {
        wake = () => resolve(true);
        setTimeout(() => resolve(false), 500);
      });
      h.link().events.failed('direct link did not open in time');
      const again = await opened;
      const expected = mode === 'off' || i + 1 < DIRECT_FAILED_ATTEMPTS_MAX;
      assert.is(again, expected, `${mode}: attempt ${i + 2} ${expected ? 'made' : 'not made'}`);
      if (!again) break;
    }
    assert.is(h.path.state, mode === 'off' ? 'unreachable' : 'relay');
    if (mode === 'auto') {
      const opened = new Promise<boolean>((resolve) => (wake = () => resolve(true)));
      h.path.onSignalingResumed();
      assert.ok(await opened, 'a signaling reconnect tries again');
    }
    h.path.destroy();
  }
});

test.run();
