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
import type { EndReason, IceCandidateInit, SessionState } from '../../../shared/api.ts';
import type { EventBody, NodeEvent } from '../../../shared/events.ts';
import type { NodeSessionView } from '../../../shared/internal.ts';
import type { RtpCounters } from '../ops/metrics.ts';
import { type ErrorReporter, guard } from '../util/guard.ts';
import { SerialQueue } from '../util/serial-queue.ts';
import { withTimeout } from '../util/timers.ts';
import { WeriftSenderForwarder } from './forwarder.ts';
import type { Forwarding, SubscriberForwarder } from './forwarding.ts';
import { Negotiator } from './negotiator.ts';
import { PublishedTrack } from './published-track.ts';
import { extensionsForNewSection } from './sdp/header-extensions.ts';
import type { AcceptedCodec, PreparedOffer } from './sdp/remote-offer.ts';
import { canReceive, preferenceFor } from './sdp/subscription-codec.ts';
import { toWireSdp } from './sdp/wire-sdp.ts';
import { installUdpSourceGuard, type UdpDropCounters, UdpSourceGuard } from './udp-source-guard.ts';
import { patchNackHandler, patchSenderBwe } from './werift-patches.ts';

/** ICE-lite gathering is one local socket; anything slower than this is broken. */
const GATHER_TIMEOUT_MS = 3_000;
/** werift peer connections sometimes never reach `closed` (PLATFORM-NOTES): cap the wait. */
const PC_CLOSE_TIMEOUT_MS = 2_000;
const ANSWER_TIMEOUT_MS = 10_000;

/** Reasons that end a session normally; every other reason means `failed`. */
const NORMAL_ENDS: ReadonlySet<EndReason> = new Set(['closed_by_client', 'closed_by_admin']);

export interface SessionHooks {
  onConnected(session: Session): void;
  onTrack(session: Session, track: PublishedTrack): void;
  onData(session: Session, data: string | Buffer): void;
  onClosed(session: Session, reason: EndReason): void;
}

export interface SessionOptions {
  id: string;
  room: string;
  deviceId: string;
  echo: boolean;
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

interface Subscription {
  track: PublishedTrack;
  transceiver: RTCRtpTransceiver;
  forwarder: SubscriberForwarder;
  off(): void;
}

export class Session {
  readonly id: string;
  readonly room: string;
  readonly deviceId: string;
  readonly echo: boolean;
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
  readonly #subscriptions = new Map<string, Subscription>();
  readonly #channels = new Set<RTCDataChannel>();
  readonly #o: SessionOptions;
  readonly #pc: RTCPeerConnection;
  readonly #serial = new SerialQueue();
  readonly #negotiator: Negotiator;
  readonly #offs: Array<() => void> = [];
  /** One per werift ICE agent (one with max-bundle), keyed by the agent. */
  readonly #guards = new Map<object, UdpSourceGuard>();
  /** DTLS transports whose state this session follows. */
  readonly #watched = new WeakSet<object>();
  #connectTimer: NodeJS.Timeout | undefined;
  #closed = false;
  /** Codecs the client offered (its last offer): what subscriptions may send it. */
  #receivable: readonly AcceptedCodec[] = [];

  constructor(o: SessionOptions) {
    this.#o = o;
    this.id = o.id;
    this.room = o.room;
    this.deviceId = o.deviceId;
    this.echo = o.echo;
    this.#pc = new RTCPeerConnection(o.peerConfig);
    this.#negotiator = new Negotiator({
      pc: this.#pc,
      serial: this.#serial,
      answerTimeoutMs: ANSWER_TIMEOUT_MS,
      canOffer: () => this.state === 'connected',
      sendOffer: (sdp) => this.notify({ type: 'offer', sdp }),
      onAnswered: () => {
        // New subscriptions are live now: the fast path can take their SSRCs (payload type
        // negotiated), and a keyframe lets the subscriber start decoding.
        for (const sub of this.#subscriptions.values()) {
          sub.forwarder.activate();
          sub.track.requestKeyframe();
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

  /** Applies a client offer (first or renegotiation) and returns the answer with our candidate. */
  acceptOffer(offer: PreparedOffer): Promise<string> {
    return this.#serial.run(async () => {
      this.#assertOpen();
      await this.#negotiator.yieldToRemoteOffer();
      await this.#pc.setRemoteDescription({ type: 'offer', sdp: offer.sdp });
      this.#receivable = offer.accepted;
      await this.#pc.setLocalDescription(await this.#pc.createAnswer());
      if (this.state === 'new') this.state = 'negotiating';
      await this.#gathered();
      // Before the answer leaves: nobody knows our port yet, so nothing got past unguarded.
      this.#guardSockets();
      this.#watchDtls();
      this.#assertOpen();
      const answer = this.#pc.localDescription?.sdp;
      if (!answer) throw new Error('no local description after createAnswer');
      this.#negotiator.kick();
      return toWireSdp(answer, 'answer');
    });
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

  /** Starts forwarding `track` to this session (renegotiates to add an m-line). */
  subscribe(track: PublishedTrack): void {
    if (this.#closed || this.#subscriptions.has(track.id)) return;
    // No transcoding: the subscriber gets the publisher's codec or, if it never offered it, an
    // event saying why it gets nothing.
    const codec = track.codec;
    if (codec && canReceive(this.#receivable, codec) === 'no') {
      this.notify({
        type: 'track',
        action: 'unsupported_codec',
        codec: codec.mimeType,
        trackId: track.id,
        kind: track.kind,
        publisherSessionId: track.publisherSessionId,
        publisherDeviceId: track.publisherDeviceId,
      });
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
      this.#pc.getConfiguration().headerExtensions[track.kind] ?? [],
      this.#pc
        .getTransceivers()
        .filter((t) => t !== transceiver)
        .flatMap((t) => t.headerExtensions),
    );
    const sender = transceiver.sender;
    patchSenderBwe(sender.senderBWE);
    const forwarder = this.#o.forwarding.create(
      sender,
      () => this.activity++,
      () => track.extensions,
    );
    // werift routes the subscriber's RTCP to this sender by media SSRC on both paths.
    const pli = sender.onPictureLossIndication.subscribe(
      guard(this.#o.report, 'pli', () => track.requestKeyframe()),
    );
    // Stock: werift resends from its own history. Fast: werift's history is empty (its sendRtp
    // never ran), so the track's history answers, to this subscriber only (sequence numbers are
    // forwarded unchanged on the fast path: seqOffset 0).
    const nack = sender.onGenericNack.subscribe(
      guard(this.#o.report, 'nack', (feedback: { lost: number[] }) => {
        for (const lost of feedback.lost) {
          // GenericNack.deSerialize adds bitmask offsets without wrapping at 65536.
          const rtp = track.recent(lost & 0xffff);
          if (rtp && !forwarder.retransmit(rtp)) return;
        }
      }),
    );
    track.add(forwarder);
    const off = () => {
      pli.unSubscribe();
      nack.unSubscribe();
    };
    this.#subscriptions.set(track.id, { track, transceiver, forwarder, off });
    this.#negotiator.request();
  }

  /** Stops forwarding the track `trackId` and removes its m-line by renegotiation. */
  unsubscribe(trackId: string): void {
    const sub = this.#subscriptions.get(trackId);
    if (!sub) return;
    this.#subscriptions.delete(trackId);
    this.#release(sub);
    if (this.#closed) return;
    try {
      this.#pc.removeTrack(sub.transceiver.sender);
    } catch (error) {
      this.#o.report(error, 'remove_track');
    }
    this.#negotiator.request();
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
    };
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
    for (const sub of this.#subscriptions.values()) this.#release(sub);
    this.#subscriptions.clear();
    for (const track of this.published.values()) track.close();
    for (const off of this.#offs.splice(0)) off();
    this.#channels.clear();
    const pc = this.#pc;
    void withTimeout(
      pc.close().catch((error: unknown) => this.#o.report(error, 'pc_close')),
      PC_CLOSE_TIMEOUT_MS,
    );
  }

  #release(sub: Subscription): void {
    sub.track.remove(sub.forwarder);
    sub.forwarder.close();
    sub.off();
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
    this.#o.hooks.onConnected(this);
    if (this.echo) for (const t of this.published.values()) t.requestKeyframe();
    this.#negotiator.kick();
  }

  #onRemoteTransceiver(transceiver: RTCRtpTransceiver): void {
    if (transceiver.kind !== 'audio' && transceiver.kind !== 'video') return;
    // `nack` is private in werift's types; the patch checks its shape at runtime.
    patchNackHandler((transceiver.receiver as unknown as { nack: unknown }).nack);
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
    if (this.published.has(id)) return;
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
    if (this.echo) {
      published.add(
        new WeriftSenderForwarder(
          transceiver.sender,
          this.#o.counters,
          () => {},
          this.#o.report,
          () => transceiver.headerExtensions,
        ),
      );
    }
    this.published.set(id, published);
    this.#o.hooks.onTrack(this, published);
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

/** A signaling call raced with `close()`. */
export class SessionClosedError extends Error {
  constructor(id: string) {
    super(`session ${id} is closed`);
    this.name = 'SessionClosedError';
  }
}
