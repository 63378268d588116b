/**
 * One media session through the edge, from creation to its end: create, open the events socket,
 * offer/answer, trickle candidates, answer server-initiated renegotiations, follow the state the
 * edge reports, restart ICE when the media path breaks (`ice-recovery.ts`: same session), and
 * leave. A rejoin after a lost node or a path that did not recover is a new session (see
 * `participant.ts`).
 */
import type {
  CreateSessionRequest,
  CreateSessionResponse,
  EndReason,
  IceCandidateInit,
  SessionState,
} from '../shared/api.ts';
import { assertNever, type SessionEvent } from '../shared/events.ts';
import type { MediaApi } from './api.ts';
import { CandidateTrickler } from './candidate-trickler.ts';
import { Emitter } from './emitter.ts';
import { MediaApiError } from './errors.ts';
import { EventStream, type SocketFactory } from './event-stream.ts';
import {
  DEFAULT_ICE_RECOVERY,
  IceRecovery,
  type IceRecoveryTimings,
  type IceRestartTrigger,
} from './ice-recovery.ts';
import type { PeerAdapter, PeerConnectionState, PeerFactory, RemoteTrack } from './peer.ts';

/**
 * Why a session ended: the server's reason, or `events_lost` when its events socket could not
 * be kept (the edge unreachable, or a resume past the events it keeps).
 */
export type SessionEndReason = EndReason | 'events_lost';

export interface SessionTimings {
  /** `POST .../offer` sent -> answer received, in ms. */
  offerToAnswerMs?: number;
  /** `POST .../offer` sent -> local peer connection `connected`, in ms. */
  offerToConnectedMs?: number;
  /** `POST .../offer` sent -> the edge's `state: connected` event, in ms. */
  offerToServerConnectedMs?: number;
}

export interface MediaSessionEvents<Track> {
  /** Every event from the socket, in order, before it is acted upon. */
  event: SessionEvent;
  /** The state the edge reports. */
  state: { state: SessionState; reason?: EndReason };
  peerState: PeerConnectionState;
  track: RemoteTrack<Track>;
  /**
   * The room's active speaker changed (`speaker` event): its session and device id, or null
   * for both once nobody is the speaker.
   */
  speaker: { participantSessionId: string | null; deviceId: string | null };
  /** Something failed that does not end the session (a candidate batch, a renegotiation). */
  error: Error;
  /** An ICE restart offer is sent (the media path broke; same session). */
  iceRestart: { attempt: number; trigger: IceRestartTrigger };
  /** The peer connection is `connected` again after ICE restarts; `tookMs` from the first. */
  iceRestarted: { attempts: number; tookMs: number };
  /** Final: nothing is emitted after it. */
  ended: { reason: SessionEndReason };
}

export interface MediaSessionOptions<Track> {
  api: MediaApi;
  /** Builds the peer connection with the local media already added. */
  peerFactory: PeerFactory<Track>;
  request: CreateSessionRequest;
  socketFactory?: SocketFactory;
  /** How long to wait for the events socket before offering anyway, in ms. */
  socketOpenTimeoutMs?: number;
  /** Monotonic clock in ms (injectable for tests). */
  now?: () => number;
  /** When to restart ICE and when to give up on it (default {@link DEFAULT_ICE_RECOVERY}). */
  iceRecovery?: Partial<IceRecoveryTimings>;
}

const toError = (error: unknown): Error =>
  error instanceof Error ? error : new Error(String(error));

export class MediaSession<Track = unknown> extends Emitter<MediaSessionEvents<Track>> {
  readonly #options: MediaSessionOptions<Track>;
  readonly #now: () => number;
  #info: CreateSessionResponse | undefined;
  #peer: PeerAdapter<Track> | undefined;
  #stream: EventStream | undefined;
  #trickler: CandidateTrickler | undefined;
  /** Renegotiations run one after another, after the first offer/answer. */
  #negotiation: Promise<void> = Promise.resolve();
  #remoteDescriptionSet = false;
  #pendingRemoteCandidates: Array<IceCandidateInit | null> = [];
  #state: SessionState = 'new';
  #endReason: SessionEndReason | undefined;
  #offerSentAt: number | undefined;
  #recovery: IceRecovery | undefined;
  #wasConnected = false;
  readonly timings: SessionTimings = {};
  readonly #ended: Promise<SessionEndReason>;
  #resolveEnded: (reason: SessionEndReason) => void = () => {};

  constructor(options: MediaSessionOptions<Track>) {
    super();
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
    this.#ended = new Promise((resolve) => {
      this.#resolveEnded = resolve;
    });
  }

  get id(): string {
    if (!this.#info) throw new Error('session not created yet');
    return this.#info.sessionId;
  }

  /** The create response (node, room, links); undefined before `start()` created it. */
  get info(): CreateSessionResponse | undefined {
    return this.#info;
  }

  get state(): SessionState {
    return this.#state;
  }

  get peer(): PeerAdapter<Track> | undefined {
    return this.#peer;
  }

  get endReason(): SessionEndReason | undefined {
    return this.#endReason;
  }

  /** Resolves with the reason once the session ended. */
  get ended(): Promise<SessionEndReason> {
    return this.#ended;
  }

  /** True once the peer connection was `connected` (a later `ice_failed` lost a working path). */
  get wasConnected(): boolean {
    return this.#wasConnected;
  }

  /** Candidates the trickler sent and dropped at the cap. */
  get candidates(): { sent: number; dropped: number } {
    return { sent: this.#trickler?.sent ?? 0, dropped: this.#trickler?.dropped ?? 0 };
  }

  /**
   * Creates the session and negotiates media. Resolves once the answer is applied (ICE may
   * still be connecting: wait for `peerState` / `state`). On failure, releases what it made.
   */
  async start(): Promise<void> {
    if (this.#info) throw new Error('start() was already called');
    const { api } = this.#options;
    this.#info = await api.createSession(this.#options.request);
    const sessionId = this.#info.sessionId;
    try {
      await this.#openEvents(sessionId);
      const peer = await this.#options.peerFactory({ iceServers: this.#info.iceServers });
      this.#peer = peer;
      this.#watchPeer(peer, sessionId);
      const offer = await peer.createOffer();
      const local = await peer.setLocalDescription(offer);
      this.#offerSentAt = this.#now();
      const answer = await api.sendOffer(sessionId, local.sdp);
      this.timings.offerToAnswerMs = this.#now() - this.#offerSentAt;
      if (this.#endReason) return;
      await peer.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
      this.#remoteDescriptionSet = true;
      this.#trickler?.start();
      await this.#flushRemoteCandidates();
    } catch (error) {
      if (!this.#endReason) {
        await api.deleteSession(sessionId).catch(() => {});
        this.#end('closed_by_client');
      }
      throw error;
    }
  }

  /** Closes the session on the edge and releases everything. Idempotent. */
  async leave(): Promise<void> {
    if (this.#endReason || !this.#info) {
      this.#end('closed_by_client');
      return;
    }
    const sessionId = this.#info.sessionId;
    this.#end('closed_by_client');
    try {
      await this.#options.api.deleteSession(sessionId);
    } catch (error) {
      // Already gone on the edge: the goal of leaving is reached.
      if (!(error instanceof MediaApiError && error.code === 'session_not_found')) throw error;
    }
  }

  #openEvents(sessionId: string): Promise<void> {
    const { api } = this.#options;
    const stream = new EventStream({
      url: (since) => api.eventsUrl(sessionId, since),
      ...(this.#options.socketFactory ? { createSocket: this.#options.socketFactory } : {}),
    });
    this.#stream = stream;
    stream.on('event', (event) => this.#onEvent(event));
    stream.on('end', ({ reason }) => {
      if (reason !== 'gave_up' && reason !== 'resume_gap') return;
      // Without its events the session cannot be followed: give it up on the edge too, so the
      // node releases it, and let the caller join again.
      if (!this.#endReason) api.deleteSession(sessionId).catch(() => {});
      this.#end('events_lost');
    });
    const opened = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.#options.socketOpenTimeoutMs ?? 5_000);
      const done = () => {
        clearTimeout(timer);
        offOpen();
        offEnd();
        resolve();
      };
      const offOpen = stream.on('open', done);
      const offEnd = stream.on('end', done);
    });
    stream.connect();
    // Events are numbered and replayed with `since`, so nothing is lost if the socket is late:
    // waiting is only so the first state changes arrive live.
    return opened;
  }

  #watchPeer(peer: PeerAdapter<Track>, sessionId: string): void {
    const { api } = this.#options;
    this.#trickler = new CandidateTrickler({
      send: (candidates) => api.sendCandidates(sessionId, candidates),
      onError: (error) => this.emit('error', toError(error)),
    });
    peer.onIceCandidate((candidate) => this.#trickler?.push(candidate));
    peer.onConnectionStateChange((state) => {
      if (state === 'connected' && this.#offerSentAt !== undefined) {
        this.timings.offerToConnectedMs ??= this.#now() - this.#offerSentAt;
      }
      if (state === 'connected' && !this.#recovery)
        this.#recovery = this.#createRecovery(sessionId);
      if (state === 'connected') this.#wasConnected = true;
      this.emit('peerState', state);
      this.#recovery?.onState(state);
    });
    peer.onTrack((track) => this.emit('track', track));
  }

  #onEvent(event: SessionEvent): void {
    this.emit('event', event);
    switch (event.type) {
      case 'state':
        this.#state = event.state;
        if (event.state === 'connected' && this.#offerSentAt !== undefined) {
          this.timings.offerToServerConnectedMs ??= this.#now() - this.#offerSentAt;
        }
        this.emit(
          'state',
          event.reason ? { state: event.state, reason: event.reason } : { state: event.state },
        );
        if (event.state === 'failed' || event.state === 'closed') {
          this.#end(event.reason ?? (event.state === 'failed' ? 'ice_failed' : 'closed_by_client'));
        }
        return;
      case 'candidate':
        this.#addRemoteCandidate(event.candidate.candidate === '' ? null : event.candidate);
        return;
      case 'offer':
        this.#renegotiate(event.sdp);
        return;
      case 'closed':
        this.#end(event.reason);
        return;
      case 'speaker':
        this.emit('speaker', {
          participantSessionId: event.participantSessionId,
          deviceId: event.deviceId,
        });
        return;
      case 'layers':
        this.#setActiveLayers(event.trackId, event.active);
        return;
      case 'participant':
      case 'track':
        return;
      default:
        assertNever(event);
    }
  }

  /** Dynacast: the node names our track `<session id>:<mid>`; the peer pauses the others. */
  #setActiveLayers(trackId: string, active: readonly string[]): void {
    const prefix = `${this.#info?.sessionId ?? ''}:`;
    const peer = this.#peer;
    if (!peer?.setActiveLayers || !trackId.startsWith(prefix)) return;
    peer.setActiveLayers(trackId.slice(prefix.length), active).catch((error: unknown) => {
      if (!this.#endReason) this.emit('error', toError(error));
    });
  }

  /** Armed once the first connection is up: before that, the node's connect timeout rules. */
  #createRecovery(sessionId: string): IceRecovery {
    return new IceRecovery({
      ...DEFAULT_ICE_RECOVERY,
      ...this.#options.iceRecovery,
      now: this.#now,
      restart: () => this.restartIce(),
      onRestart: (info) => this.emit('iceRestart', info),
      onRecovered: (info) => this.emit('iceRestarted', info),
      onRestartError: (error) => {
        if (!this.#endReason) this.emit('error', toError(error));
      },
      onGiveUp: () => {
        if (this.#endReason) return;
        // The node keeps the session for its ICE grace: release it now, then rejoin.
        this.#options.api.deleteSession(sessionId).catch(() => {});
        this.#end('ice_failed');
      },
    });
  }

  /**
   * Restarts ICE on this session now (new ICE credentials, same session; the SDK does it by
   * itself when the connection breaks, an app may call it when it learns the network changed).
   * Resolves once the answer is applied; ICE then reconnects (`peerState`).
   */
  restartIce(): Promise<void> {
    const run = this.#negotiation.then(async () => {
      const peer = this.#peer;
      const sessionId = this.#info?.sessionId;
      if (!peer || !sessionId || this.#endReason) return;
      const offer = await peer.setLocalDescription(await peer.createOffer({ iceRestart: true }));
      const answer = await this.#options.api.sendOffer(sessionId, offer.sdp);
      if (this.#endReason) return;
      await peer.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
    });
    // Later renegotiations wait for this one, but not on its failure.
    this.#negotiation = run.catch(() => {});
    return run;
  }

  #renegotiate(sdp: string): void {
    const { api } = this.#options;
    this.#negotiation = this.#negotiation.then(async () => {
      const peer = this.#peer;
      const info = this.#info;
      if (!peer || !info || this.#endReason) return;
      try {
        await peer.setRemoteDescription({ type: 'offer', sdp });
        this.#remoteDescriptionSet = true;
        const answer = await peer.setLocalDescription(await peer.createAnswer());
        await api.sendAnswer(info.sessionId, answer.sdp);
      } catch (error) {
        if (!this.#endReason) this.emit('error', toError(error));
      }
    });
  }

  #addRemoteCandidate(candidate: IceCandidateInit | null): void {
    if (!this.#remoteDescriptionSet) {
      this.#pendingRemoteCandidates.push(candidate);
      return;
    }
    this.#peer?.addIceCandidate(candidate).catch((error: unknown) => {
      this.emit('error', toError(error));
    });
  }

  async #flushRemoteCandidates(): Promise<void> {
    for (const candidate of this.#pendingRemoteCandidates.splice(0)) {
      await this.#peer?.addIceCandidate(candidate).catch((error: unknown) => {
        this.emit('error', toError(error));
      });
    }
  }

  #end(reason: SessionEndReason): void {
    if (this.#endReason) return;
    this.#endReason = reason;
    if (this.#state !== 'failed' && this.#state !== 'closed') {
      this.#state =
        reason === 'closed_by_client' || reason === 'closed_by_admin' ? 'closed' : 'failed';
    }
    this.#recovery?.close();
    this.#trickler?.close();
    this.#stream?.close();
    this.#peer?.close();
    this.emit('ended', { reason });
    this.#resolveEnded(reason);
  }
}
