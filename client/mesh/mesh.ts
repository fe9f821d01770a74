// Wires the signaling socket, the per-peer pairs and the per-sender receivers into the Mesh of
// api.ts. Sender identity always comes from the server (presence/relay envelope/signal), never
// from frame contents.

import { ChatError } from '../../shared/errors';
import { generateDeviceKey, verifyDeviceSignature, withSigner, type DeviceKeyPair, type DeviceVerifier } from '../../shared/deviceKey';
import { generateSessionKey, nobleAead, safetyNumber } from '../../shared/e2e/index';
import { signContentText, verifyContentText } from '../../shared/contentRecord';
import {
  CHUNK_BYTES,
  DIRECT_ATTEMPTS_IN_FLIGHT_MAX,
  DIRECT_LINKS_MAX,
  IMAGE_MAX_BYTES,
  IMAGE_NAME_MAX_CHARS,
  SHOWN_IDS_MAX,
  TEXT_MAX_CHARS,
  SEALED_SESSIONS_MAX,
} from '../../shared/limits';
import { encodeFrame, FrameType, newMessageId } from '../../shared/frames';
import { checkImage } from '../../shared/imageCheck';
import { sniffImage } from '../../shared/imageSniff';
import { nativeSha256Available } from '../../shared/sha256';
import type { PeerId, PeerInfo, RoomSettings, WelcomeMessage, PresenceMessage } from '../../shared/protocol';
import type { ChatMessage, ConnectionStatus, ImageMessage, Mesh, MeshError, MeshEvents, MeshOptions, PeerView, TextMessage } from './api';
import { Emitter } from './emitter';
import { ImageDigest } from './imageDigest';
import { ImageFrames } from './imageFrames';
import { RelaySide } from './relaySide';
import { plainRelayCodec, type RelayCodec } from './relayCodec';
import { SealedRelayCodec } from './sealedRelay';
import { KeyPins } from './keyPins';
import { EarlyBuffer } from './earlyBuffer';
import { LinkBudget } from './linkBudget';
import { Pair, type PairContext } from './pair';
import type { DirectPhase } from './pathController';
import { Receiver } from './receiver';
import { Receivers } from './receivers';
import { SignalingClient } from './signalingClient';
import type { Transport } from './sendQueue';
import { DEFAULT_TIMEOUTS, type MeshTimeouts } from './timeouts';
import { DeliveryTracker } from './deliveryTracker';
import { RoomClock } from './roomClock';
import { TypingGate } from './typingGate';
import { SigningSeal } from './imageSeal';
import { DedupWindow } from './dedup';
import { RoomHistory } from './roomHistory';
import { KeyDirectory } from './keyDirectory';
import { BackgroundJobs } from './backgroundJobs';
import { RecentTexts } from './recentTexts';
import { FrameDispatch } from './frameDispatch';
import { contentRecordOf } from './signedContent';

function randomSecret(): string {
  const bytes = new Uint8Array(24);
  globalThis.crypto.getRandomValues(bytes);
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export class MeshImpl implements Mesh {
  self: PeerInfo | null = null;
  settings: RoomSettings | null = null;
  status: ConnectionStatus = 'stopped';
  private readonly events = new Emitter<MeshEvents>();
  private readonly signaling: SignalingClient;
  private readonly pairs = new Map<PeerId, Pair>();
  private readonly receivers: Receivers;
  private readonly pendingLeave = new Map<PeerId, ReturnType<typeof setTimeout>>();
  private readonly early = new EarlyBuffer();
  private readonly timeouts: MeshTimeouts;
  private readonly ctx: PairContext;
  private textSeq = 1;
  private readonly clock = new RoomClock();
  private readonly typingGate = new TypingGate();
  private readonly deliveries = new DeliveryTracker();
  private readonly relay: RelaySide;
  /** Seals what goes through the relay and opens what comes from it (relayCodec.ts). */
  private readonly codec: RelayCodec;
  /** Each new peer's relay keys, made between other work so its first frame need not wait for them. */
  private readonly keyPrep = new BackgroundJobs<PeerId>((id) => this.pairs.has(id) && this.codec.problem(id), SEALED_SESSIONS_MAX);
  /** Device keys seen per account (trust on first use). */
  private readonly pins: KeyPins;
  private readonly safetyNumbers = new WeakMap<PeerInfo, string>();
  /** Direct links (attempts included) held at once; used only while the relay can carry the rest. */
  private readonly budget: LinkBudget;
  /** Direct attempts in flight as initiator: the same first-come slots, so a newcomer builds its links a few at a time. */
  private readonly pacer = new LinkBudget(DIRECT_ATTEMPTS_IN_FLIGHT_MAX);
  /** When a pair was last made (a peer joined, or the room was first learnt): direct attempts wait for a calm room. */
  private lastJoinAt = 0;
  /** This device's signing key: every own message is signed with it. */
  private readonly deviceKey: DeviceKeyPair;
  private readonly verify: DeviceVerifier;
  /** Ids of the messages this mesh has emitted: one id is shown once, whichever path brought it. */
  private readonly shown = new DedupWindow(SHOWN_IDS_MAX);
  private readonly frames: FrameDispatch;
  private readonly recentTexts = new RecentTexts();
  private readonly keys: KeyDirectory;
  /** History from peers: what this peer keeps and passes on to newcomers, and what it asks for when it joins. */
  private readonly history: RoomHistory;

  constructor(private readonly options: MeshOptions) {
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.budget = new LinkBudget(options.directLinksMax ?? DIRECT_LINKS_MAX);
    // No key kept by the caller: this mesh is a new device of the account.
    this.deviceKey = withSigner(options.deviceKey ?? generateDeviceKey(), options.sign);
    this.verify = options.verify ?? verifyDeviceSignature;
    const session = generateSessionKey(this.deviceKey);
    this.pins = new KeyPins(options.keyPins ?? null);
    this.signaling = new SignalingClient({
      url: options.serverUrl,
      token: options.token,
      peerSecret: options.peerSecret ?? randomSecret(),
      deviceKey: this.deviceKey,
      sessionKey: session,
      WebSocket: options.WebSocket,
      reconnectFirstMs: this.timeouts.reconnectFirstMs,
      reconnectMaxMs: this.timeouts.reconnectMaxMs,
      handlers: {
        status: (status) => this.setStatus(status),
        welcome: (m, resumed) => this.onWelcome(m, resumed),
        presence: (m) => this.onPresence(m),
        signal: (from, data) => {
          const pair = this.pairs.get(from);
          if (pair) pair.onSignal(data);
          else this.early.add(from, { signal: data });
        },
        relay: (from, payload) => {
          const pair = this.pairs.get(from);
          if (pair) this.onRelayed(pair, payload);
          else this.early.add(from, { relay: payload.slice() });
        },
        relayFlow: (peer, paused) => this.pairs.get(peer)?.onRelayFlow(paused),
        keys: (owners) => this.keys.answered(owners),
        serverError: (m) => this.onServerError(m.code, m.message, m.peer),
        protocolError: (message) => this.error({ code: 'BAD_MESSAGE', message }),
      },
    });
    this.codec = options.plainRelay
      ? plainRelayCodec
      : new SealedRelayCodec({
          aead: options.aead ?? nobleAead,
          x25519: options.x25519,
          device: this.deviceKey,
          session,
          verify: this.verify,
          selfId: () => this.self?.peerId ?? '',
          peer: (id) => this.pairs.get(id)?.info,
          unusable: (peerId, problem) => this.error({ code: problem.code, message: `nothing can be encrypted for ${this.pairs.get(peerId)?.info.username ?? peerId}: ${problem.message}`, peerId }),
        });
    this.relay = new RelaySide({
      signaling: this.signaling,
      codec: this.codec,
      error: (e) => this.error(e),
      flushed: () => {
        for (const pair of this.pairs.values()) pair.queue.pump();
      },
    });
    this.receivers = new Receivers(
      (peerId, from) =>
        new Receiver({
          maxImageBytes: () => this.settings?.maxImageBytes ?? IMAGE_MAX_BYTES,
          deliver: (m) => {
            if (m.kind === 'image' && m.origin) return this.history.onImage(peerId, m);
            this.clock.saw(m.sentAt);
            const author = from();
            const { sig, earlier, ...rest } = m as typeof m & { earlier?: true };
            // Said before this mesh was in the room: shown as earlier, passed on by its own author.
            this.show({ ...rest, sig, from: author, device: author.deviceKey, own: false, ...(earlier && { via: author }) } as ChatMessage);
          },
          authentic: (m) => {
            const author = from();
            const fields = m.kind === 'text' ? m : { ...m, size: m.bytes.byteLength };
            return verifyContentText(contentRecordOf(fields, author.username, author.deviceKey), m.sig, this.verify);
          },
          sendControl: (frame) => this.pairs.get(peerId)?.queue.pushControl(frame),
          progress: (p) => {
            this.history.progress(peerId);
            this.events.emit('progress', { ...p, peerId, direction: 'receive' });
          },
          error: (e) => this.error({ ...e, peerId, incoming: true }),
          idleMs: this.timeouts.incomingIdleMs,
          nativeHash: nativeSha256Available(),
          sha256: options.sha256,
        }),
      (peerId) => this.pairs.has(peerId),
    );
    this.keys = new KeyDirectory({
      ask: (keys) => this.signaling.askKeys(keys),
      online: () => [...this.pairs.values()].map((p) => p.info),
    });
    this.history = new RoomHistory(
      {
        peers: () => [...this.pairs.values()].map((p) => p.info),
        peer: (id) => this.pairs.get(id)?.info,
        self: () => this.self,
        send: (to, message) => this.pairs.get(to)?.send(message),
        seen: (id) => this.shown.has(id),
        markShown: (id) => this.shown.add(id),
        deliver: (m) => {
          this.clock.saw(m.sentAt);
          this.show(m);
        },
        error: (e) => this.error(e),
        keys: this.keys,
        verify: this.verify,
      },
      options,
    );
    this.frames = new FrameDispatch({
      error: (e) => this.error(e),
      receipt: (id, username) => {
        const state = this.deliveries.receipt(id, username);
        if (state) this.events.emit('delivery', state);
      },
      typing: (peer) => this.typingGate.heard(peer.peerId) && this.events.emit('typing', peer),
      receiver: (peer) => this.receivers.get(peer),
      history: this.history.frames,
    });
    const self = this;
    this.ctx = {
      get selfId() {
        return self.self?.peerId ?? '';
      },
      device: this.deviceKey,
      wrtc: options.wrtc,
      timeouts: this.timeouts,
      filterSignal: options.filterSignal,
      relayMode: () => this.settings?.relay ?? 'auto',
      iceServers: () => this.settings?.iceServers ?? [],
      // With the relay off a pair beyond the budget could not talk at all: no budget then.
      budget: () => (this.settings?.relay === 'off' ? null : this.budget),
      pacer: () => (this.settings?.relay === 'off' ? null : this.pacer),
      signalingOnline: () => this.signaling.online,
      lastJoinAt: () => this.lastJoinAt,
      sendSignal: (to, data) => this.signaling.sendSignal(to, data),
      relayTransport: (peerId) => this.relayTransport(peerId),
      stateChanged: () => this.emitPeers(),
      frame: (from, bytes) => {
        const pair = this.pairs.get(from);
        if (pair) this.frames.handle(pair, bytes, false);
      },
      progress: (p) => this.events.emit('progress', p),
      error: (e) => this.error(e),
    };
  }

  on<E extends keyof MeshEvents>(event: E, handler: MeshEvents[E]): () => void {
    return this.events.on(event, handler);
  }

  peers(): PeerView[] {
    return [...this.pairs.values()].map((p) => this.view(p));
  }

  private view(pair: Pair): PeerView {
    return { ...pair.info, link: pair.state, safetyNumber: this.safetyNumberWith(pair.info) };
  }

  /** The safety number of this device and the peer's (a hash: computed once per presence record). */
  private safetyNumberWith(info: PeerInfo): string {
    let number = this.safetyNumbers.get(info);
    if (!number) this.safetyNumbers.set(info, (number = safetyNumber(this.deviceKey.publicKey, info.deviceKey)));
    return number;
  }

  start(): void {
    this.signaling.start();
  }

  stop(): void {
    this.keyPrep.stop();
    this.history.stop();
    this.keys.reset();
    this.budget.close();
    this.pacer.close();
    this.signaling.stop();
    for (const id of [...this.pairs.keys()]) this.removePeer(id, false, false);
    this.receivers.closeAll();
    for (const t of this.pendingLeave.values()) clearTimeout(t);
    this.pendingLeave.clear();
    this.early.clear();
  }

  sendText(text: string): TextMessage {
    if (typeof text !== 'string' || text.length > TEXT_MAX_CHARS) throw new ChatError('TEXT_TOO_LONG', `text over ${TEXT_MAX_CHARS} characters`);
    const from = this.requireSelf();
    const fields = { kind: 'text' as const, id: newMessageId(), sentAt: this.clock.next(), text };
    const sig = signContentText(this.deviceKey, contentRecordOf(fields, from.username, this.deviceKey.publicKey));
    const message: TextMessage = { ...fields, from, device: this.deviceKey.publicKey, sig, own: true };
    const outgoing = { kind: 'text' as const, id: message.id, seq: this.textSeq++, sentAt: message.sentAt, text, sig };
    for (const pair of this.pairs.values()) pair.send(outgoing);
    this.recentTexts.add(outgoing);
    this.show(message);
    this.trackDelivery(message.id);
    return message;
  }

  receipt(message: ChatMessage): void {
    // Got later from someone else's history: it counts for nobody's "Delivered to k of n".
    if (message.own || message.via) return;
    this.pairs.get(message.from.peerId)?.queue.pushControl(encodeFrame(FrameType.RECEIPT, message.id, 0));
  }

  /** The other accounts online now (my own other devices are not "others"). */
  private otherAccounts(): Set<string> {
    const own = this.self?.username;
    return new Set([...this.pairs.values()].map((p) => p.info.username).filter((u) => u !== own));
  }

  private trackDelivery(messageId: string): void {
    this.events.emit('delivery', this.deliveries.track(messageId, this.otherAccounts()));
  }

  typing(): void {
    if (!this.self || !this.typingGate.send()) return;
    const frame = encodeFrame(FrameType.TYPING, undefined, 0);
    for (const pair of this.pairs.values()) if (pair.state === 'direct' || pair.state === 'relay') pair.queue.pushControl(frame);
  }

  async sendImage(input: Uint8Array, name: string): Promise<ImageMessage> {
    const from = this.requireSelf();
    const mime = sniffImage(input);
    if (!mime) throw new ChatError('BAD_IMAGE', 'only png, jpeg, gif and webp images can be sent');
    const max = this.settings?.maxImageBytes ?? IMAGE_MAX_BYTES;
    if (input.byteLength > max) throw new ChatError('IMAGE_TOO_LARGE', `image of ${input.byteLength} bytes over ${max}`);
    checkImage(input); // the receivers check the same: refuse here, before anything is sent
    // Handed over, not copied (api.ts): a 5 MiB copy per image was ~15 % of a relayed send (bench).
    const bytes = input;
    const cutName = [...String(name)].slice(0, IMAGE_NAME_MAX_CHARS).join('');
    const id = newMessageId();
    const sentAt = this.clock.next();
    const digest = new ImageDigest(bytes, this.options.sha256);
    const start = { sentAt, name: cutName, mime, size: bytes.byteLength, chunks: Math.ceil(bytes.byteLength / CHUNK_BYTES) };
    const key = this.deviceKey;
    const seal = new SigningSeal(digest, (sha256) => signContentText(key, contentRecordOf({ kind: 'image', id, sentAt, sha256, mime, size: bytes.byteLength, name: cutName }, from.username, key.publicKey)));
    const frames = new ImageFrames(id, start, bytes);
    // Followed from now: receipts may come back before the hash below is done.
    this.deliveries.track(id, this.otherAccounts());
    for (const pair of this.pairs.values()) pair.send({ kind: 'image', id, start, bytes, seal, frames });
    // Hashing overlaps the first chunks already on their way.
    await digest.complete();
    const { sha256, sig } = seal.end();
    const message: ImageMessage = { kind: 'image', id, from, device: key.publicKey, sig, sentAt, own: true, name: cutName, mime, bytes, sha256 };
    this.show(message);
    this.events.emit('delivery', this.deliveries.state(id)!);
    return message;
  }

  drained(timeoutMs = 10_000): Promise<boolean> {
    const isDrained = () => [...this.pairs.values()].every((p) => p.outbox.size === 0);
    if (isDrained()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const deadline = Date.now() + timeoutMs;
      // Acks raise no event of their own: poll, cheaply, until done or out of time.
      const timer = setInterval(() => {
        const done = isDrained();
        if (!done && Date.now() < deadline) return;
        clearInterval(timer);
        resolve(done);
      }, 20);
    });
  }

  /** Benchmarks and tests (not part of api.ts): direct-link slots held now, the most held at once, and each pair's direct phase. */
  directLinks(): { used: number; peak: number; max: number; phases: Record<PeerId, DirectPhase> } {
    const phases: Record<PeerId, DirectPhase> = {};
    for (const [id, pair] of this.pairs) phases[id] = pair.directPhase;
    return { used: this.budget.used, peak: this.budget.peak, max: this.budget.max, phases };
  }

  /** Test seam (not part of api.ts): silently cut the direct link to `peerId`, as a failing network would. */
  cutDirectLink(peerId: PeerId): void {
    this.pairs.get(peerId)?.cutDirect();
  }

  private requireSelf(): PeerInfo {
    if (!this.self) throw new ChatError('NOT_AUTHENTICATED', 'not connected to the room yet');
    return this.self;
  }

  /** Emits a message once per id, and keeps it to pass on to newcomers. */
  private show(message: ChatMessage): void {
    if (this.shown.has(message.id)) return;
    this.shown.add(message.id);
    this.history.keep(message);
    this.events.emit('message', message);
  }

  private setStatus(status: ConnectionStatus): void {
    if (status === this.status) return;
    if (status !== 'online') this.keys.reset();
    this.status = status;
    this.events.emit('status', status);
  }

  private error(e: MeshError): void {
    this.events.emit('error', e);
  }

  private emitPeers(): void {
    this.events.emit('peers', this.peers());
  }

  private relayTransport(peerId: PeerId): Transport {
    return this.relay.transport(peerId, () => this.pairs.get(peerId)?.relayPaused === true);
  }

  // ---- presence -----------------------------------------------------------------------------
  private onWelcome(m: WelcomeMessage, resumed: boolean): void {
    if (this.self && this.self.peerId !== m.self.peerId) {
      // A new identity: every pair was built around the old one (initiator rule).
      for (const id of [...this.pairs.keys()]) this.removePeer(id, false, false);
    }
    this.self = m.self;
    this.settings = m.settings;
    const listed = new Set(m.peers.map((p) => p.peerId));
    for (const info of m.peers) this.addPeer(info, resumed);
    // Joined or back: what was said meanwhile comes from the peers online.
    this.history.begin(() => this.self?.peerId === m.self.peerId && this.status !== 'stopped');
    for (const id of this.pairs.keys()) {
      if (listed.has(id) || this.pendingLeave.has(id)) continue;
      // The server may not have it back yet; its direct link may still work meanwhile.
      this.pendingLeave.set(id, setTimeout(() => {
        this.pendingLeave.delete(id);
        this.removePeer(id, true);
      }, this.timeouts.rejoinGraceMs));
    }
    this.emitPeers();
  }

  private onPresence(m: PresenceMessage): void {
    for (const id of m.left) this.removePeer(id, false);
    for (const info of m.joined) this.addPeer(info, true);
    this.emitPeers();
  }

  private addPeer(info: PeerInfo, resumed: boolean): void {
    if (info.peerId === this.self?.peerId) return;
    const pending = this.pendingLeave.get(info.peerId);
    if (pending) clearTimeout(pending);
    this.pendingLeave.delete(info.peerId);
    const existing = this.pairs.get(info.peerId);
    if (existing) {
      existing.info = info;
      this.checkKeys(existing);
      if (resumed) existing.onSignalingResumed();
      return;
    }
    this.lastJoinAt = Date.now();
    const pair = new Pair(info, this.ctx);
    this.pairs.set(info.peerId, pair);
    // Before anything newer, so the peer's receiver takes them in sequence (recentTexts.ts).
    for (const text of this.recentTexts.current()) pair.send({ ...text, earlier: true });
    this.checkKeys(pair);
    this.keyPrep.add(info.peerId);
    this.receivers.get(info);
    pair.start();
    this.history.peerJoined();
    for (const item of this.early.take(info.peerId)) {
      if (item.signal) pair.onSignal(item.signal);
      if (item.relay) this.onRelayed(pair, item.relay);
    }
  }

  /**
   * Pins the peer's device key for its account: a key the account never showed this device before
   * raises `deviceChanged`. (Its session key is checked and the pair keys made in the background
   * (keyPrep) or at the first frame to or from it, whichever comes first, not here: a room of 50
   * would cost a page ~0.5 s of pure-JS X25519 in one piece at join.)
   */
  private checkKeys(pair: Pair): void {
    const { info } = pair;
    if (info.deviceKey !== this.deviceKey.publicKey && this.pins.see(info.username, info.deviceKey) === 'changed') this.events.emit('deviceChanged', this.view(pair));
  }

  private removePeer(id: PeerId, emit: boolean, peerLeft = true): void {
    const pair = this.pairs.get(id);
    if (!pair) return;
    this.pairs.delete(id);
    this.history.peerLeft(id);
    this.typingGate.forget(id);
    pair.destroy(peerLeft);
    this.receivers.close(id);
    if (emit) this.emitPeers();
  }

  // ---- frames ---------------------------------------------------------------------------------
  /** A payload the relay brought from `pair`'s peer: opened by the codec, then handled as frames. */
  private onRelayed(pair: Pair, payload: Uint8Array): void {
    let bytes;
    try {
      bytes = this.codec.open(pair.peerId, payload);
    } catch (err) {
      const e = err instanceof ChatError ? err : new ChatError('BAD_FRAME', String(err));
      return this.error({ code: e.code, message: `refused a relayed frame from ${pair.info.username}: ${e.message}`, peerId: pair.peerId, incoming: true });
    }
    this.frames.handle(pair, bytes, true);
  }

  private onServerError(code: MeshError['code'], message: string, peerId?: PeerId): void {
    this.error({ code, message: `server: ${message}`, peerId });
    const pair = peerId ? this.pairs.get(peerId) : undefined;
    if (code === 'RELAY_BACKED_UP' && pair) {
      // The server dropped relayed frames: send everything unacknowledged again once it drains.
      setTimeout(() => this.pairs.get(pair.peerId) === pair && pair.requeue(), 1000);
    }
  }
}
