/**
 * All sessions and rooms of this node: admission (capacity, draining), the internal API's
 * operations, per-session limits, the idle reaper, and closing everything at shutdown.
 */
import type { PeerConfig } from 'werift';
import type {
  EndReason,
  IceCandidateInit,
  SubscriptionChange,
  SubscriptionView,
} from '../../../shared/api.ts';
import { MediaError } from '../../../shared/errors.ts';
import type { NodeEvent } from '../../../shared/events.ts';
import type { NodeOfferRequest, NodeRoomView, NodeSessionView } from '../../../shared/internal.ts';
import { admits } from '../../../shared/load-score.ts';
import { assertWebRtcSdp } from '../../../shared/sdp-check.ts';
import { assertFingerprints, assertMediaSections } from '../../../shared/sdp-limits.ts';
import type { Config } from '../config.ts';
import { deviceClass, type Metrics } from '../ops/metrics.ts';
import { EmptySignal } from '../util/empty-signal.ts';
import { type ErrorReporter, guard } from '../util/guard.ts';
import type { SessionHost, WorkerLoad } from '../workers/session-host.ts';
import { Forwarding } from './forwarding.ts';
import type { TargetLayer } from './layers.ts';
import { LoadGuard } from './load-guard.ts';
import { nodePeerConfig } from './peer-config.ts';
import { Room } from './room.ts';
import { type PreparedOffer, prepareRemoteOffer } from './sdp/remote-offer.ts';
import { Session, SessionClosedError, type SessionHooks } from './session.ts';

/** Seconds a client should wait before retrying a refused session. */
const RETRY_AFTER_CAPACITY_S = 2;
const RETRY_AFTER_DRAINING_S = 5;
/** Active speaker detector tick (active-speaker.ts is tuned for it). */
const SPEAKER_TICK_MS = 100;
/**
 * Quality stats interval: rates and loss are over this, and `GET /api/media/sessions/:id` shows
 * the last one (so its figures are at most this old, plus the read).
 */
const STATS_INTERVAL_MS = 1_000;
/** Share of a saturated registry's sessions closed per shed (newest first). */
const SHED_FRACTION = 0.05;

export function drainingError(): MediaError {
  return new MediaError('draining', 'node is draining', {}, RETRY_AFTER_DRAINING_S);
}

export function atCapacityError(limit: number): MediaError {
  return new MediaError(
    'capacity_exceeded',
    'node is at capacity',
    { limit },
    RETRY_AFTER_CAPACITY_S,
  );
}

export function sessionNotFoundError(): MediaError {
  return new MediaError('session_not_found', 'no such session on this node');
}

export type RegistryConfig = Pick<
  Config,
  | 'ice'
  | 'maxSessions'
  | 'maxIceCandidates'
  | 'connectTimeoutMs'
  | 'idleTimeoutMs'
  | 'iceGraceMs'
  | 'forwarder'
  | 'fastSend'
  | 'overloadLagMs'
  | 'overloadUtilization'
>;

export interface RegistryOptions {
  config: RegistryConfig;
  metrics: Metrics;
  emit(event: NodeEvent): void;
  report: ErrorReporter;
  /** Where fast-path fallbacks are logged (one line per subscriber that falls back). */
  log?: { warn(obj: object, msg: string): void };
  /** Called once a session is gone (closed for any reason, or refused after creation). */
  onSessionClosed?(id: string): void;
}

export class SessionRegistry implements SessionHost {
  readonly #o: RegistryOptions;
  readonly #peerConfig: Partial<PeerConfig>;
  readonly #sessions = new Map<string, Session>();
  readonly #rooms = new Map<string, Room>();
  readonly #hooks: SessionHooks;
  /** Forwarder factory shared by all sessions (config `forwarder`; see forwarding.ts). */
  readonly forwarding: Forwarding;
  /** Event-loop lag admission (load-guard.ts). */
  readonly load: LoadGuard;
  readonly #empty = new EmptySignal();
  #reaper: NodeJS.Timeout | undefined;
  #speakerTimer: NodeJS.Timeout | undefined;
  #statsTimer: NodeJS.Timeout | undefined;
  #draining = false;

  constructor(options: RegistryOptions) {
    this.#o = options;
    this.#peerConfig = nodePeerConfig(options.config.ice);
    this.load = new LoadGuard(
      { lagMs: options.config.overloadLagMs, utilization: options.config.overloadUtilization },
      () => this.#sessions.size,
    );
    this.load.onWindow = () => {
      if (this.load.saturated) this.#shed();
    };
    const { metrics } = options;
    this.forwarding = new Forwarding({
      path: options.config.forwarder,
      fastSend: options.config.fastSend,
      counters: metrics.rtp,
      report: options.report,
      onFallback: (reason, detail) => {
        metrics.forwarding.fallbacks.inc({ reason });
        options.log?.warn({ reason, detail }, 'fast_path_fallback');
      },
    });
    metrics.forwarding.observe(this.forwarding);
    this.#hooks = {
      onConnected: (s) => {
        metrics.iceConnections.inc({ result: 'connected' });
        metrics.setupSeconds.observe((performance.now() - s.startedAt) / 1000);
        this.#rooms.get(s.room)?.activate(s);
      },
      onTrack: (s, track) => this.#rooms.get(s.room)?.publish(s, track),
      onData: (s, data) => this.#rooms.get(s.room)?.relay(s, data),
      onClosed: (s, reason) => this.#onClosed(s, reason),
      onIceRestart: (_s, result) => metrics.iceRestarts.inc({ result }),
      onBandwidth: (_s, bps, source) => metrics.bandwidthEstimate.observe({ source }, bps),
      viewTracks: (s) => this.#rooms.get(s.room)?.tracks(s) ?? [],
    };
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  get roomCount(): number {
    return this.#rooms.size;
  }

  /** Participants per open room, for the top-K room gauge. */
  *roomSizes(): Generator<number> {
    for (const room of this.#rooms.values()) yield room.size;
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** Creates a session from the client's offer, or renegotiates an existing one. */
  async offer(id: string, req: NodeOfferRequest): Promise<string> {
    assertWebRtcSdp(req.sdp, 'offer');
    assertMediaSections(req.sdp, 'offer');
    assertFingerprints(req.sdp, 'offer');
    // Throws `unsupported_codecs` before any session exists: a corrected offer starts afresh.
    const offer = this.#prepare(id, req.sdp);
    const existing = this.#sessions.get(id);
    if (existing) {
      if (existing.room !== req.room || existing.deviceId !== req.deviceId) {
        throw new MediaError('invalid_state', 'session exists with another room or device');
      }
      return this.#signal(() => existing.acceptOffer(offer));
    }
    if (this.#draining) throw drainingError();
    if (this.load.overloaded) {
      this.#o.metrics.forwarding.overloadRefusals.inc();
      const { last, limits } = this.load;
      throw new MediaError(
        'capacity_exceeded',
        'node is overloaded (event loop busy or late); try another node',
        {
          eventLoopUtilization: Math.round(this.load.expectedUtilization * 100) / 100,
          utilizationLimit: limits.utilization,
          eventLoopLagMs: Math.round(last.lagP99Ms),
          lagLimitMs: limits.lagMs,
        },
        RETRY_AFTER_CAPACITY_S,
      );
    }
    if (!admits({ sessions: this.#sessions.size, maxSessions: this.#o.config.maxSessions })) {
      throw atCapacityError(this.#o.config.maxSessions);
    }
    const session = new Session({
      id,
      room: req.room,
      deviceId: req.deviceId,
      echo: req.echo,
      mode: req.mode,
      peerConfig: this.#peerConfig,
      connectTimeoutMs: this.#o.config.connectTimeoutMs,
      counters: this.#o.metrics.rtp,
      udpDrops: this.#o.metrics.udpDrops,
      forwarding: this.forwarding,
      emit: this.#o.emit,
      hooks: this.#hooks,
      report: this.#o.report,
    });
    // Registered before the first await, so concurrent offers see the capacity taken.
    this.#sessions.set(id, session);
    this.load.admitted();
    let room = this.#rooms.get(req.room);
    if (!room) {
      room = new Room(req.room);
      this.#rooms.set(req.room, room);
    }
    room.add(session);
    this.#o.metrics.sessionsCreated.inc({ device_class: deviceClass(req.deviceId) });
    try {
      return await session.acceptOffer(offer);
    } catch (error) {
      // The edge gets the error reply; no events for a session that never started.
      session.close('node_rejected', { silent: true });
      throw this.#toMediaError(error, id);
    }
  }

  /** The offer as werift should see it (sdp/remote-offer.ts); rejected sections are logged. */
  #prepare(id: string, sdp: string): PreparedOffer {
    const offer = prepareRemoteOffer(sdp);
    for (const r of offer.rejected) {
      this.#o.log?.warn(
        { sessionId: id, mid: r.mid, kind: r.kind, reason: r.reason },
        'sdp_section_rejected',
      );
    }
    for (const note of offer.simulcast) {
      this.#o.log?.warn({ sessionId: id, ...note }, 'sdp_simulcast_reduced');
    }
    for (const what of offer.droppedExtensions) {
      this.#o.log?.warn({ sessionId: id, extension: what }, 'sdp_extmap_conflict_dropped');
    }
    return offer;
  }

  async answer(id: string, sdp: string): Promise<void> {
    const session = this.#get(id);
    assertWebRtcSdp(sdp, 'answer');
    assertMediaSections(sdp, 'answer');
    assertFingerprints(sdp, 'answer');
    await this.#signal(() => session.acceptAnswer(sdp));
  }

  /** Adds candidates, refusing the whole request if it would pass the per-session limit. */
  async candidates(id: string, candidates: IceCandidateInit[]): Promise<void> {
    const session = this.#get(id);
    const limit = this.#o.config.maxIceCandidates;
    const counted = candidates.filter((c) => c.candidate !== '').length;
    if (session.iceCandidates + counted > limit) {
      this.#o.metrics.candidatesRejected.inc(counted);
      throw new MediaError(
        'too_many_ice_candidates',
        `at most ${limit} ICE candidates per session`,
        {
          limit,
          accepted: session.iceCandidates,
        },
      );
    }
    session.iceCandidates += counted;
    await session.addCandidates(candidates);
  }

  view(id: string): NodeSessionView {
    return this.#get(id).view();
  }

  /** The subscriber's cap or pause for one track it receives (`track_not_found` otherwise). */
  setSubscription(id: string, trackId: string, change: SubscriptionChange): SubscriptionView {
    return this.#get(id).setSubscription(trackId, change);
  }

  /**
   * The bandwidth allocator's control (node-internal, same thread as the session): at most
   * `target` of `trackId` for the session `id`, or nothing (`paused`); the subscriber's own cap
   * still applies. False when the session is unknown or does not receive the track.
   */
  setTargetLayer(id: string, trackId: string, target: TargetLayer): boolean {
    return this.#sessions.get(id)?.setTargetLayer(trackId, target) ?? false;
  }

  roomView(name: string): NodeRoomView {
    return this.#rooms.get(name)?.view() ?? { room: name, participants: [], activeSpeaker: null };
  }

  close(id: string, reason: EndReason): void {
    this.#sessions.get(id)?.close(reason);
  }

  startDraining(): void {
    this.#draining = true;
  }

  waitUntilEmpty(timeoutMs: number): Promise<boolean> {
    return this.#empty.wait(this.#sessions.size === 0, timeoutMs);
  }

  closeAll(reason: EndReason): number {
    const all = [...this.#sessions.values()];
    for (const session of all) session.close(reason);
    return all.length;
  }

  /** Starts the idle and gone-peer reaper (connect timeouts are per session). */
  start(): void {
    const { idleTimeoutMs, iceGraceMs } = this.#o.config;
    // Fine enough that a gone peer is noticed within ~5 % of ICE_GRACE_MS.
    const every = Math.max(50, Math.min(1_000, idleTimeoutMs / 4, iceGraceMs / 20));
    this.#reaper = setInterval(() => this.#reapIdle(), every);
    // A bug in either must cost its tick, not the process (an uncaught error exits the node).
    const { report } = this.#o;
    this.#speakerTimer = setInterval(
      guard(report, 'active_speaker', () => {
        for (const room of this.#rooms.values()) room.tickSpeaker();
      }),
      SPEAKER_TICK_MS,
    );
    this.#statsTimer = setInterval(
      guard(report, 'quality_stats', () => this.#sampleStats()),
      STATS_INTERVAL_MS,
    );
  }

  /** Samples every connected session's quality; the node's histograms observe each sample. */
  #sampleStats(): void {
    const now = performance.now();
    const epochMs = Date.now();
    const quality = this.#o.metrics.quality;
    for (const session of this.#sessions.values()) {
      if (session.state !== 'connected') continue;
      const { stats, samples } = session.sampleStats(now, epochMs);
      quality.observe(samples, stats.rttMs);
    }
  }

  stop(): void {
    if (this.#reaper) clearInterval(this.#reaper);
    this.#reaper = undefined;
    clearInterval(this.#speakerTimer);
    this.#speakerTimer = undefined;
    clearInterval(this.#statsTimer);
    this.#statsTimer = undefined;
    this.load.close();
  }

  lagP99Ms(): number {
    return this.load.last.lagP99Ms;
  }

  workerLoads(): WorkerLoad[] | undefined {
    return undefined;
  }

  async workerMetrics(): Promise<never[]> {
    return [];
  }

  /**
   * The loop has been saturated for several windows (load-guard.ts): close the newest
   * `SHED_FRACTION` of the sessions (at least one) with `node_overloaded`, so that the older
   * ones keep their media, ICE consent and DTLS; the clients rejoin where there is room.
   */
  #shed(): void {
    const count = Math.min(this.#sessions.size, Math.ceil(this.#sessions.size * SHED_FRACTION));
    if (count === 0) return;
    const newest = [...this.#sessions.values()].slice(-count);
    this.load.shed();
    this.#o.metrics.forwarding.shedSessions.inc(count);
    const { utilization, lagP99Ms } = this.load.last;
    this.#o.log?.warn(
      { shed: count, sessions: this.#sessions.size, utilization, lagP99Ms },
      'overload_shed',
    );
    for (const session of newest) session.close('node_overloaded');
  }

  #reapIdle(): void {
    const now = Date.now();
    for (const session of this.#sessions.values()) {
      if (session.state !== 'connected') continue;
      if (this.#peerGone(session, now)) continue;
      const mark = session.idleMark;
      if (mark.activity !== session.activity) {
        mark.activity = session.activity;
        mark.at = now;
      } else if (now - mark.at >= this.#o.config.idleTimeoutMs) {
        session.close('idle');
      }
    }
  }

  /**
   * RFC 7675 turned around: an ICE-lite node receives the peer's consent checks. Nothing from
   * the peer (no check, no media) for `iceGraceMs` (ICE `disconnected` that long, with no ICE
   * restart bringing it back): the peer is gone (a closed tab looks like
   * this); the session fails so the room and the edge learn it in seconds, not at the idle
   * timeout.
   */
  #peerGone(session: Session, now: number): boolean {
    const heard = session.peerHeard();
    if (heard === undefined) return false;
    const mark = session.peerMark;
    if (mark.heard !== heard) {
      mark.heard = heard;
      mark.at = now;
      return false;
    }
    const silentMs = now - mark.at;
    if (silentMs < this.#o.config.iceGraceMs) return false;
    this.#o.log?.warn({ sessionId: session.id, room: session.room, silentMs }, 'peer_gone');
    session.close('ice_failed');
    return true;
  }

  #get(id: string): Session {
    const session = this.#sessions.get(id);
    if (!session) throw sessionNotFoundError();
    return session;
  }

  async #signal<T>(step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      if (error instanceof SessionClosedError) {
        throw new MediaError('session_not_found', 'session closed meanwhile');
      }
      throw this.#toMediaError(error);
    }
  }

  /**
   * werift's SDP errors are the client's fault (400), but their text is werift's internals
   * (stack-ish messages, field names): logged here, never sent. Our own MediaErrors pass through.
   */
  #toMediaError(error: unknown, sessionId?: string): MediaError {
    if (error instanceof MediaError) return error;
    const detail = error instanceof Error ? error.message : String(error);
    this.#o.log?.warn({ sessionId, detail: detail.slice(0, 500) }, 'sdp_not_applied');
    return new MediaError(
      'invalid_request',
      'SDP could not be applied: the description is inconsistent or uses something this node does not support',
      { field: 'sdp' },
    );
  }

  #onClosed(session: Session, reason: EndReason): void {
    if (this.#sessions.get(session.id) !== session) return;
    this.#sessions.delete(session.id);
    if (reason === 'ice_failed') this.#o.metrics.iceConnections.inc({ result: 'failed' });
    if (reason === 'connect_timeout') this.#o.metrics.iceConnections.inc({ result: 'timeout' });
    const room = this.#rooms.get(session.room);
    if (room) {
      room.leave(session);
      if (room.size === 0) this.#rooms.delete(room.name);
    }
    if (this.#sessions.size === 0) this.#empty.fire();
    this.#o.onSessionClosed?.(session.id);
  }
}
