/**
 * One client session: a werift peer connection plus what the node does with it (published
 * tracks, subscriptions to other participants' tracks, data channels, renegotiation, connect
 * timer). `close()` is idempotent and releases everything the session owns.
 */
import {
  MediaStream,
  type MediaStreamTrack,
  type PeerConfig,
  type RTCDataChannel,
  RTCPeerConnection,
  type RTCRtpTransceiver,
} from 'werift';
import type {
  EndReason,
  IceCandidateInit,
  SessionState,
  SubscriptionChange,
  SubscriptionView,
} from '../../../shared/api.ts';
import { MediaError } from '../../../shared/errors.ts';
import type { EventBody, NodeEvent } from '../../../shared/events.ts';
import type { NodeSessionView, SessionMode } from '../../../shared/internal.ts';
import type { SessionStats } from '../../../shared/stats.ts';
import type { BandwidthSource } from '../bwe/estimator.ts';
import { SubscriberBandwidth } from '../bwe/subscriber-bandwidth.ts';
import { EXT_URI } from '../fast/rtp-extensions.ts';
import type { RtpCounters } from '../ops/metrics.ts';
import { type ErrorReporter, guard } from '../util/guard.ts';
import { SerialQueue } from '../util/serial-queue.ts';
import { withTimeout } from '../util/timers.ts';
import type { Forwarding } from './forwarding.ts';
import type { TargetLayer } from './layers.ts';
import { Negotiator } from './negotiator.ts';
import { PublishedTrack } from './published-track.ts';
import { sampleSession, type TrackSample } from './quality/session-stats.ts';
import {
  type ExtensionId,
  extensionsForNewSection,
  type OfferedSection,
  offersTransportCc,
  stripTransportCcFromReceived,
  withoutRefusedTransportCc,
  withoutTransportCcFeedback,
} from './sdp/header-extensions.ts';
import {
  type IceCredentials,
  iceCredentialsOf,
  PAST_UFRAGS_KEPT,
  reofferKind,
} from './sdp/ice-credentials.ts';
import type { AcceptedCodec, PreparedOffer } from './sdp/remote-offer.ts';
import { canReceive, preferenceFor } from './sdp/subscription-codec.ts';
import { toWireSdp } from './sdp/wire-sdp.ts';
import {
  type AttachOptions,
  attachSubscription,
  type Subscription,
  subscriptionView,
} from './subscription.ts';
import { installUdpSourceGuard, type UdpDropCounters, UdpSourceGuard } from './udp-source-guard.ts';
import { ViewSlots } from './view-slots.ts';
import { patchNackHandler, patchSimulcastNack, startRestartedIce } from './werift-patches.ts';

const TRANSPORT_CC_URI = EXT_URI.transportCc;

/** ICE-lite gathering is one local socket; anything slower than this is broken. */
const GATHER_TIMEOUT_MS = 3_000;
/** werift peer connections sometimes never reach `closed` (PLATFORM-NOTES): cap the wait. */
const PC_CLOSE_TIMEOUT_MS = 2_000;
const ANSWER_TIMEOUT_MS = 10_000;

/** Reasons that end a session normally; every other reason means `failed`. */
const NORMAL_ENDS: ReadonlySet<EndReason> = new Set(['closed_by_client', 'closed_by_admin']);

/** What happened to an ICE restart (the `result` label of `media_ice_restarts_total`). */
export type IceRestartResult = 'accepted' | 'completed' | 'refused';

export interface SessionHooks {
  onConnected(session: Session): void;
  onTrack(session: Session, track: PublishedTrack): void;
  onData(session: Session, data: string | Buffer): void;
  onClosed(session: Session, reason: EndReason): void;
  onIceRestart(session: Session, result: IceRestartResult): void;
  /** About once a second while the session receives media: its downlink estimate. */
  onBandwidth?(session: Session, bps: number, source: BandwidthSource): void;
  /** The tracks a viewing session (WHEP) may be given at its offer, in the room's order. */
  viewTracks(session: Session): Iterable<PublishedTrack>;
}

export interface SessionOptions {
  id: string;
  room: string;
  deviceId: string;
  echo: boolean;
  /** Publish-only (WHIP) or view-only (WHEP); undefined: an ordinary participant. */
  mode?: SessionMode | undefined;
  peerConfig: Partial<PeerConfig>;
  connectTimeoutMs: number;
  counters: RtpCounters;
  /** Node-wide counters of inbound datagrams dropped by source (udp-source-guard.ts). */
  udpDrops: UdpDropCounters;
  /** Node-wide forwarder factory (fast or stock path per subscription). */
  forwarding: Forwarding;
  emit(event: NodeEvent): void;
  hooks: SessionHooks;
  report: ErrorReporter;
}

export class Session {
  readonly id: string;
  readonly room: string;
  readonly deviceId: string;
  readonly echo: boolean;
  readonly mode: SessionMode | undefined;
  /** `performance.now()` when the offer arrived (setup time). */
  readonly startedAt = performance.now();
  state: SessionState = 'new';
  /** Remote candidates accepted so far. */
  iceCandidates = 0;
  /** Bumped on every packet or message in either direction; the idle reaper watches it. */
  activity = 0;
  /** Reaper bookkeeping: last seen `activity` and when it last changed (ms). */
  idleMark = { activity: -1, at: 0 };
  /** Reaper bookkeeping: last seen `peerHeard()` and when it last changed (ms). */
  peerMark = { heard: -1, at: 0 };
  readonly published = new Map<string, PublishedTrack>();
  /** The last stats sample (`sampleStats`), null before the first. */
  #stats: SessionStats | null = null;
  #statsAt = -1;
  readonly #subscriptions = new Map<string, Subscription>();
  readonly #channels = new Set<RTCDataChannel>();
  readonly #o: SessionOptions;
  readonly #pc: RTCPeerConnection;
  readonly #serial = new SerialQueue();
  readonly #negotiator: Negotiator;
  /** A viewing session's fixed m-lines (view-slots.ts). */
  readonly #view: ViewSlots | undefined;
  readonly #attach: AttachOptions;
  /**
   * This session's downlink as a subscriber: estimate and allocator (bwe/). The room wires the
   * forwarder's layer control to it (`bandwidth.setLayerControl`).
   */
  readonly bandwidth: SubscriberBandwidth;
  readonly #offs: Array<() => void> = [];
  /** One per werift ICE agent (one with max-bundle), keyed by the agent. */
  readonly #guards = new Map<object, UdpSourceGuard>();
  /** DTLS transports whose state this session follows. */
  readonly #watched = new WeakSet<object>();
  #connectTimer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Codecs the client offered (its last offer): what subscriptions may send it. */
  #receivable: readonly AcceptedCodec[] = [];
  /** Whether the client's last offer takes transport-cc (undefined: it offered no media). */
  #transportCc: boolean | undefined;
  /** The client's id for transport-cc, kept for the sections the node adds (one id per URI). */
  #transportCcId: ExtensionId | undefined;
  /** The client's ICE credentials (its last offer) and its earlier ufrags (one per restart). */
  #remoteIce: IceCredentials | undefined;
  readonly #pastUfrags: string[] = [];

  constructor(o: SessionOptions) {
    this.#o = o;
    this.id = o.id;
    this.room = o.room;
    this.deviceId = o.deviceId;
    this.echo = o.echo;
    this.mode = o.mode;
    this.#pc = new RTCPeerConnection(o.peerConfig);
    this.bandwidth = new SubscriberBandwidth({
      report: o.report,
      onEstimate: (bps, source) => o.hooks.onBandwidth?.(this, bps, source),
    });
    this.#attach = {
      forwarding: o.forwarding,
      report: o.report,
      onSent: () => this.activity++,
      bandwidth: this.bandwidth,
    };
    if (o.mode?.kind === 'view') {
      this.#view = new ViewSlots({
        ...this.#attach,
        participant: o.mode.participant,
        onUnsupported: (track) => this.#notifyUnsupported(track),
      });
    }
    this.#negotiator = new Negotiator({
      pc: this.#pc,
      serial: this.#serial,
      answerTimeoutMs: ANSWER_TIMEOUT_MS,
      canOffer: () => this.state === 'connected',
      sendOffer: (sdp) =>
        this.notify({
          type: 'offer',
          sdp: this.#transportCc === false ? withoutTransportCcFeedback(sdp) : sdp,
        }),
      onAnswered: () => {
        // New subscriptions are live now: the fast path can take their SSRCs (payload type
        // negotiated), and a keyframe lets the subscriber start decoding.
        for (const sub of this.#subscriptions.values()) {
          sub.forwarder.activate();
          sub.forwarder.requestKeyframe();
        }
      },
      report: o.report,
    });
    this.#wire();
    this.#connectTimer = setTimeout(() => this.close('connect_timeout'), o.connectTimeoutMs);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Applies a client offer (first or renegotiation) and returns the answer with our candidate.
   * A re-offer with new ICE credentials restarts ICE on the same session (the client changed
   * networks): room, published tracks and subscriptions stay; DTLS and SRTP go on once a new
   * pair is nominated.
   */
  acceptOffer(offer: PreparedOffer): Promise<string> {
    return this.#serial.run(async () => {
      this.#assertOpen();
      const ice = iceCredentialsOf(offer.sdp);
      const restart = this.#isRestart(ice);
      await this.#negotiator.yieldToRemoteOffer();
      await this.#pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
      this.#receivable = offer.accepted;
      this.#transportCc = offersTransportCc(offer.sdp);
      const tccId = stripTransportCcFromReceived(
        this.#pc.getTransceivers() as unknown as OfferedSection[],
      );
      if (tccId !== undefined) this.#transportCcId = { id: tccId, uri: TRANSPORT_CC_URI };
      if (restart && this.#remoteIce) {
        this.#pastUfrags.push(this.#remoteIce.ufrag);
        if (this.#pastUfrags.length > PAST_UFRAGS_KEPT) this.#pastUfrags.shift();
      }
      this.#remoteIce = ice;
      // Before the answer: what a viewer gets must be in it (it takes no offer of ours).
      this.#view?.open(this.#pc.getTransceivers(), this.#o.hooks.viewTracks(this), offer.accepted);
      await this.#pc.setLocalDescription(await this.#pc.createAnswer());
      if (this.state === 'new') this.state = 'negotiating';
      await this.#gathered();
      // Before the answer leaves: nobody knows our port yet, so nothing got past unguarded.
      this.#guardSockets();
      this.#watchDtls();
      this.#assertOpen();
      if (restart) this.#restartIce();
      const answer = this.#pc.localDescription?.sdp;
      if (!answer) throw new Error('no local description after createAnswer');
      this.#negotiator.kick();
      return toWireSdp(answer, 'answer');
    });
  }

  /** True when `ice` restarts ICE; throws (and counts) a re-offer with bad credentials. */
  #isRestart(ice: IceCredentials): boolean {
    if (!this.#remoteIce) return false;
    try {
      return reofferKind(this.#remoteIce, this.#pastUfrags, ice) === 'restart';
    } catch (error) {
      this.#o.hooks.onIceRestart(this, 'refused');
      throw error;
    }
  }

  /**
   * werift restarted the ICE agent on the new remote credentials; start it (werift-patches.ts)
   * and, once a new pair is nominated, let the UDP guards forget the old credentials and path.
   */
  #restartIce(): void {
    this.#o.hooks.onIceRestart(this, 'accepted');
    for (const started of startRestartedIce(this.#pc.dtlsTransports)) {
      started.then(
        () => {
          if (this.#closed) return;
          for (const guard of this.#guards.values()) guard.restartCompleted();
          this.#o.hooks.onIceRestart(this, 'completed');
        },
        (error: unknown) => {
          // A restart that never completes is ended by the ICE grace (no peer heard).
          if (!this.#closed) this.#o.report(error, 'ice_restart');
        },
      );
    }
  }

  /** Applies the client's answer to a server-initiated offer. */
  acceptAnswer(sdp: string): Promise<void> {
    return this.#serial.run(async () => {
      this.#assertOpen();
      await this.#negotiator.applyAnswer(sdp);
    });
  }

  /** Adds remote candidates; werift refusing one is not the client's fault worth a 4xx. */
  async addCandidates(candidates: IceCandidateInit[]): Promise<void> {
    for (const c of candidates) {
      if (this.#closed) return;
      if (c.candidate === '') continue;
      await this.#pc
        .addIceCandidate({
          candidate: c.candidate,
          sdpMid: c.sdpMid ?? undefined,
          sdpMLineIndex: c.sdpMLineIndex ?? undefined,
          usernameFragment: c.usernameFragment ?? undefined,
        })
        .catch((error: unknown) => this.#o.report(error, 'add_candidate'));
    }
  }

  /**
   * Starts forwarding `track` to this session: a participant gets an m-line by renegotiation,
   * a viewer a free slot of its offer, a publish-only session nothing.
   */
  subscribe(track: PublishedTrack): void {
    if (this.#closed || this.#subscriptions.has(track.id)) return;
    if (this.mode?.kind === 'publish') return;
    if (this.#view) {
      this.#view.bind(track, this.#receivable);
      return;
    }
    // No transcoding: the subscriber gets the publisher's codec or, if it never offered it, an
    // event saying why it gets nothing.
    const codec = track.codec;
    if (codec && canReceive(this.#receivable, codec) === 'no') {
      this.#notifyUnsupported(track);
      return;
    }
    const transceiver = this.#pc.addTransceiver(track.kind, {
      direction: 'sendonly',
      // The stream id tells the client which participant the track belongs to.
      streams: [new MediaStream({ id: track.publisherSessionId })],
    });
    if (codec) transceiver.setCodecPreferences(preferenceFor(codec));
    // The client's ids, not werift's defaults, for the extensions of the new section.
    transceiver.headerExtensions = extensionsForNewSection(
      withoutRefusedTransportCc(
        this.#pc.getConfiguration().headerExtensions[track.kind] ?? [],
        this.#transportCc,
      ),
      [
        ...this.#pc
          .getTransceivers()
          .filter((t) => t !== transceiver)
          .flatMap((t) => t.headerExtensions),
        ...(this.#transportCcId ? [this.#transportCcId] : []),
      ],
    );
    this.#subscriptions.set(track.id, attachSubscription(track, transceiver, this.#attach));
    this.#negotiator.request();
  }

  /** Stops forwarding the track `trackId` and removes its m-line by renegotiation. */
  unsubscribe(trackId: string): void {
    this.#view?.unbind(trackId);
    const sub = this.#subscriptions.get(trackId);
    if (!sub) return;
    this.#subscriptions.delete(trackId);
    sub.release();
    if (this.#closed) return;
    try {
      this.#pc.removeTrack(sub.transceiver.sender);
    } catch (error) {
      this.#o.report(error, 'remove_track');
    }
    this.#negotiator.request();
  }

  /** This session's subscription to `trackId` (an SFU m-line or a WHEP slot), if it has one. */
  #subscription(trackId: string): Subscription | undefined {
    return this.#subscriptions.get(trackId) ?? this.#view?.subscription(trackId);
  }

  /**
   * The bandwidth allocator's control: what this session should get of `trackId` (at most
   * `target`, or nothing). It never exceeds the subscriber's own cap (`setSubscription`); the
   * forwarder switches on the next keyframe of the layer (asked for at once) or pauses at once.
   * False when this session does not receive `trackId`.
   */
  setTargetLayer(trackId: string, target: TargetLayer): boolean {
    const sub = this.#subscription(trackId);
    if (!sub) return false;
    sub.allocate(target);
    return true;
  }

  /**
   * The subscriber's own choice (`PUT .../subscriptions/:trackId`): a cap and/or a pause. Throws
   * `track_not_found` when this session does not receive `trackId`.
   */
  setSubscription(trackId: string, change: SubscriptionChange): SubscriptionView {
    const sub = this.#subscription(trackId);
    if (!sub) {
      throw new MediaError('track_not_found', `this session does not receive track ${trackId}`, {
        trackId,
      });
    }
    sub.choose({
      ...(change.maxLayer === undefined ? {} : { maxLayer: change.maxLayer }),
      ...(change.paused === undefined ? {} : { paused: change.paused }),
    });
    return subscriptionView(sub);
  }

  /** Every track this session receives, with its layers, choice and current layer. */
  subscriptions(): SubscriptionView[] {
    const subs = [...this.#subscriptions.values(), ...(this.#view?.subscriptions() ?? [])];
    return subs.map(subscriptionView);
  }

  #notifyUnsupported(track: PublishedTrack): void {
    this.notify({
      type: 'track',
      action: 'unsupported_codec',
      codec: track.codec?.mimeType ?? 'unknown',
      trackId: track.id,
      kind: track.kind,
      publisherSessionId: track.publisherSessionId,
      publisherDeviceId: track.publisherDeviceId,
    });
  }

  /** Sends a relayed data-channel message on this session's first open channel. */
  sendData(data: string | Buffer): void {
    for (const channel of this.#channels) {
      if (channel.readyState !== 'open') continue;
      try {
        channel.send(data);
        this.activity++;
      } catch (error) {
        this.#o.report(error, 'data_send');
      }
      return;
    }
  }

  /** Emits an event about this session to the edge (nothing once closed). */
  notify(body: EventBody): void {
    if (!this.#closed) this.#o.emit({ sessionId: this.id, ...body });
  }

  view(): NodeSessionView {
    return {
      sessionId: this.id,
      room: this.room,
      deviceId: this.deviceId,
      echo: this.echo,
      state: this.state,
      iceCandidates: this.iceCandidates,
      tracks: [...this.published.values()].map((t) => t.info),
      stats: this.#stats,
    };
  }

  /**
   * Samples every track's quality since the previous call (the registry's stats timer) and keeps
   * the result for `view()`; returns it with the per-track samples for the node's histograms.
   */
  sampleStats(now: number, epochMs: number): { stats: SessionStats; samples: TrackSample[] } {
    const subscriptions = this.#view ? this.#view.subscriptions() : this.#subscriptions.values();
    const interval = this.#statsAt < 0 ? 0 : now - this.#statsAt;
    this.#statsAt = now;
    const sampled = sampleSession(
      this.published.values(),
      subscriptions,
      now,
      epochMs,
      interval,
      this.bandwidth.view(),
    );
    this.#stats = sampled.stats;
    return sampled;
  }

  /**
   * Ends the session: reports the end (unless `silent`, for a session the edge never saw
   * succeed), detaches it from its room, stops forwarding, closes the peer connection.
   */
  close(reason: EndReason, options: { silent?: boolean } = {}): void {
    if (this.#closed) return;
    this.#closed = true;
    const state: SessionState = NORMAL_ENDS.has(reason) ? 'closed' : 'failed';
    this.state = state;
    clearTimeout(this.#connectTimer);
    this.#negotiator.close();
    // Leave the room first: its `participant left` must precede `closed`, after which the edge
    // ends the session's event stream.
    try {
      this.#o.hooks.onClosed(this, reason);
    } catch (error) {
      this.#o.report(error, 'session_closed_hook');
    }
    if (!options.silent) {
      this.#o.emit({ sessionId: this.id, type: 'state', state, reason });
      this.#o.emit({ sessionId: this.id, type: 'closed', reason });
    }
    for (const sub of this.#subscriptions.values()) sub.release();
    this.#subscriptions.clear();
    this.#view?.close();
    this.bandwidth.close();
    for (const track of this.published.values()) track.close();
    for (const off of this.#offs.splice(0)) off();
    this.#channels.clear();
    const pc = this.#pc;
    void withTimeout(
      pc.close().catch((error: unknown) => this.#o.report(error, 'pc_close')),
      PC_CLOSE_TIMEOUT_MS,
    );
  }

  /**
   * Datagrams received from the peer's validated address so far (consent checks, media, DTLS);
   * the reaper fails a connected session whose count stops moving (a closed tab sends nothing,
   * a live one a consent check every ~5 s, RFC 7675). Undefined without a guarded socket.
   */
  peerHeard(): number | undefined {
    if (this.#guards.size === 0) return undefined;
    let heard = 0;
    for (const g of this.#guards.values()) heard += g.heard;
    return heard;
  }

  #guardSockets(): void {
    for (const ice of this.#pc.iceTransports) {
      const agent = (ice as unknown as { connection?: unknown }).connection;
      if (typeof agent !== 'object' || agent === null) continue;
      let guard = this.#guards.get(agent);
      if (!guard) {
        guard = new UdpSourceGuard(agent as never, this.#o.udpDrops);
        this.#guards.set(agent, guard);
      }
      const installed = installUdpSourceGuard(agent, guard);
      if (typeof installed === 'string') {
        this.#o.report(new Error(`UDP source guard not installed: ${installed}`), 'udp_guard');
      }
    }
  }

  /**
   * werift's connection state can say `connected` before any transport did (see
   * `#transportsUp`) and then not change when DTLS really completes: each DTLS transport is
   * followed too. A peer's close_notify (DTLS `closed`) ends the session: the client closed it.
   */
  #watchDtls(): void {
    for (const dtls of this.#pc.dtlsTransports) {
      if (this.#watched.has(dtls)) continue;
      this.#watched.add(dtls);
      this.#offs.push(
        dtls.onStateChange.subscribe(
          guard(this.#o.report, 'dtls_state', (s: string) => {
            if (this.#closed) return;
            if (s === 'connected') this.#maybeConnected();
            else if (s === 'closed') this.close('closed_by_client');
            else if (s === 'failed') this.close('ice_failed');
          }),
        ).unSubscribe,
      );
    }
  }

  #maybeConnected(): void {
    if (this.state === 'connected' || this.#closed) return;
    if (this.#pc.connectionState === 'connected' && this.#transportsUp()) this.#onConnected();
  }

  /**
   * werift reports `connected` when every DTLS transport it has is connected, which holds
   * vacuously for an answer with no active m-line (no transport): `connected` here means ICE
   * selected a pair and DTLS completed on at least one transport, and on all of them.
   */
  #transportsUp(): boolean {
    const transports = this.#pc.dtlsTransports;
    return (
      transports.length > 0 &&
      transports.every(
        (t) =>
          t.state === 'connected' &&
          (t.iceTransport.state === 'connected' || t.iceTransport.state === 'completed'),
      )
    );
  }

  #assertOpen(): void {
    if (this.#closed) throw new SessionClosedError(this.id);
  }

  async #gathered(): Promise<void> {
    if (this.#pc.iceGatheringState === 'complete') return;
    let off = () => {};
    const done = new Promise<void>((resolve) => {
      off = this.#pc.iceGatheringStateChange.subscribe(
        (s) => s === 'complete' && resolve(),
      ).unSubscribe;
    });
    await withTimeout(done, GATHER_TIMEOUT_MS);
    off();
  }

  #wire(): void {
    const { report } = this.#o;
    const pc = this.#pc;
    this.#offs.push(
      pc.connectionStateChange.subscribe(
        guard(report, 'connection_state', (s: string) => {
          if (s === 'connected') this.#maybeConnected();
          else if (s === 'failed') this.close('ice_failed');
        }),
      ).unSubscribe,
      pc.onRemoteTransceiverAdded.subscribe(
        guard(report, 'remote_transceiver', (t: RTCRtpTransceiver) => this.#onRemoteTransceiver(t)),
      ).unSubscribe,
      pc.onDataChannel.subscribe(
        guard(report, 'data_channel', (c: RTCDataChannel) => this.#onDataChannel(c)),
      ).unSubscribe,
    );
  }

  #onConnected(): void {
    this.state = 'connected';
    clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
    this.notify({ type: 'state', state: 'connected' });
    this.#view?.connected();
    this.#o.hooks.onConnected(this);
    if (this.echo) for (const t of this.published.values()) t.requestKeyframe();
    this.#negotiator.kick();
  }

  #onRemoteTransceiver(transceiver: RTCRtpTransceiver): void {
    if (transceiver.kind !== 'audio' && transceiver.kind !== 'video') return;
    // `nack` is private in werift's types; the patch checks its shape at runtime.
    patchNackHandler((transceiver.receiver as unknown as { nack: unknown }).nack);
    // A viewer publishes nothing (view-slots.ts sets its m-lines to send only).
    if (this.#view) return;
    // werift creates transceivers from a remote offer as recvonly; echo sends back on them.
    if (this.echo) transceiver.setDirection('sendrecv');
    const { unSubscribe } = transceiver.onTrack.subscribe(
      guard(this.#o.report, 'track', (track: MediaStreamTrack) =>
        this.#onTrack(transceiver, track),
      ),
    );
    this.#offs.push(unSubscribe);
  }

  #onTrack(transceiver: RTCRtpTransceiver, track: MediaStreamTrack): void {
    if (this.#closed) return;
    const id = `${this.id}:${transceiver.mid ?? transceiver.id}`;
    const simulcast = Boolean(track.rid);
    const existing = this.published.get(id);
    if (existing) {
      // Another rid of a simulcast section (werift fires one track per rid).
      if (simulcast) existing.addLayer(track);
      return;
    }
    // A simulcast section also yields a track for its first a=ssrc (Firefox lists them): its
    // packets arrive through the rid tracks, so only those are layers.
    if (!simulcast && simulcastRids(transceiver) > 0) return;
    const published = new PublishedTrack({
      id,
      publisherSessionId: this.id,
      publisherDeviceId: this.deviceId,
      track,
      receiver: transceiver.receiver,
      extensions: () => transceiver.headerExtensions,
      counters: this.#o.counters,
      onReceived: () => this.activity++,
      report: this.#o.report,
    });
    this.published.set(id, published);
    if (simulcast) patchSimulcastNack(transceiver.receiver);
    // werift adds a section's rid tracks one after the other in the same turn: announce (and
    // let the room subscribe) once they are all layers of the track.
    const announce = () => {
      if (this.#closed) return;
      if (published.simulcast) {
        keepSimulcastInOffers(transceiver);
        // Dynacast: the publisher pauses the layers nobody receives (the SDK sets
        // `encodings[i].active`), and resumes them when someone needs them.
        published.onLayers = (active) => this.notify({ type: 'layers', trackId: id, active });
      }
      if (this.echo) this.#echo(transceiver, published);
      this.#o.hooks.onTrack(this, published);
      published.targetsChanged();
    };
    if (simulcast) queueMicrotask(guard(this.#o.report, 'track', announce));
    else announce();
  }

  /** Echo: the session's own track back on its transceiver (the highest layer it sends). */
  #echo(transceiver: RTCRtpTransceiver, published: PublishedTrack): void {
    published.add(
      this.#o.forwarding.createEcho(
        transceiver.sender,
        () => transceiver.headerExtensions,
        published,
      ),
    );
  }

  #onDataChannel(channel: RTCDataChannel): void {
    this.#channels.add(channel);
    const { report } = this.#o;
    this.#offs.push(
      channel.onMessage.subscribe(
        guard(report, 'data_message', (data: string | Buffer) => {
          this.activity++;
          this.#o.hooks.onData(this, data);
        }),
      ).unSubscribe,
      channel.stateChanged.subscribe(
        guard(report, 'data_state', (s: string) => {
          if (s === 'closed') this.#channels.delete(channel);
        }),
      ).unSubscribe,
    );
  }
}

/**
 * werift writes `a=rid:<id> recv` / `a=simulcast:recv ...` into its own offers only for
 * transceivers created with send encodings, not for one created from a remote simulcast offer:
 * the node's renegotiation offers (a new participant's tracks) left them out, and Chromium,
 * answering an offer without simulcast, dropped to its first encoding (q) for good. The
 * transceiver keeps the publisher's rids (in its `a=rid` order) for every later offer.
 */
function keepSimulcastInOffers(transceiver: RTCRtpTransceiver): void {
  const rids = transceiver.receiver.tracks.flatMap((t) => (t.rid ? [t.rid] : []));
  const options = (transceiver as unknown as { options?: { simulcast?: unknown } }).options;
  if (!options || rids.length < 2) return;
  options.simulcast = rids.map((rid) => ({ rid, direction: 'recv' }));
}

/** How many rid (simulcast) tracks werift registered on the transceiver's receiver. */
function simulcastRids(transceiver: RTCRtpTransceiver): number {
  return transceiver.receiver.tracks.filter((t) => Boolean(t.rid)).length;
}

/** A signaling call raced with `close()`. */
export class SessionClosedError extends Error {
  constructor(id: string) {
    super(`session ${id} is closed`);
    this.name = 'SessionClosedError';
  }
}
