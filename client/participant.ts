/**
 * A participant in a room that outlives its sessions: when the edge says the media node went
 * away (`node_lost`, `node_shutdown`) or shed it under overload (`node_overloaded`), or the
 * session's ICE restarts did not bring its media back (`ice_failed`), it rejoins the same room
 * with a new session (the edge places it on a healthy node) and renegotiates its media on a
 * fresh peer connection.
 */
import type {
  EndReason,
  SessionState,
  SubscriptionChange,
  SubscriptionView,
} from '../shared/api.ts';
import type { SessionEvent } from '../shared/events.ts';
import type { MediaApi } from './api.ts';
import { type BackoffOptions, backoffDelay, sleep } from './backoff.ts';
import { Emitter } from './emitter.ts';
import { isRetryable, MediaApiError } from './errors.ts';
import type { SocketFactory } from './event-stream.ts';
import type { IceRecoveryTimings, IceRestartTrigger } from './ice-recovery.ts';
import type { PeerConnectionState, PeerFactory, RemoteTrack } from './peer.ts';
import { MediaSession, type MediaSessionEvents, type SessionEndReason } from './session.ts';

/**
 * End reasons after which the room is joined again: the node went away or shed the session
 * under overload (the edge places the new session on a node with room, after Retry-After when
 * the room's node is still full), the session's events could not be resumed, or its media path
 * broke and ICE restarts did not bring it back (`ice_failed` of a session that was connected:
 * one that never connected would most likely fail the same way again).
 */
export const REJOIN_REASONS: ReadonlySet<SessionEndReason> = new Set<SessionEndReason>([
  'node_lost',
  'node_shutdown',
  'node_overloaded',
  'events_lost',
  'ice_failed',
]);

/** Whether a session that ended for `reason` calls for a rejoin. */
export function shouldRejoin(reason: SessionEndReason, wasConnected: boolean): boolean {
  return REJOIN_REASONS.has(reason) && (reason !== 'ice_failed' || wasConnected);
}

export interface ParticipantEvents<Track> {
  /** A session started (the first one, then one per rejoin). */
  session: MediaSession<Track>;
  event: SessionEvent & { sessionId: string };
  state: { sessionId: string; state: SessionState; reason?: EndReason };
  peerState: { sessionId: string; state: PeerConnectionState };
  track: RemoteTrack<Track> & { sessionId: string };
  /** The room's active speaker changed (`sessionId`: the session that was told). */
  speaker: MediaSessionEvents<Track>['speaker'] & { sessionId: string };
  rejoining: { reason: SessionEndReason; attempt: number; previousSessionId: string };
  rejoined: {
    sessionId: string;
    previousSessionId: string;
    reason: SessionEndReason;
    tookMs: number;
  };
  error: Error;
  iceRestart: { sessionId: string; attempt: number; trigger: IceRestartTrigger };
  iceRestarted: { sessionId: string; attempts: number; tookMs: number };
  /** Final: left, or ended for a reason that does not call for a rejoin, or rejoin gave up. */
  ended: { reason: SessionEndReason | 'rejoin_failed' };
}

export interface ParticipantOptions<Track> {
  api: MediaApi;
  peerFactory: PeerFactory<Track>;
  room: string;
  echo?: boolean;
  metadata?: Record<string, string | number | boolean>;
  socketFactory?: SocketFactory;
  rejoinBackoff?: BackoffOptions;
  /** ICE restart timings of every session (default `DEFAULT_ICE_RECOVERY`). */
  iceRecovery?: Partial<IceRecoveryTimings>;
}

const DEFAULT_REJOIN_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 4_000, maxAttempts: 8 };

export class RoomParticipant<Track = unknown> extends Emitter<ParticipantEvents<Track>> {
  readonly #options: ParticipantOptions<Track>;
  #session: MediaSession<Track> | undefined;
  #leaving = false;
  #ended = false;
  readonly #abort = new AbortController();

  constructor(options: ParticipantOptions<Track>) {
    super();
    this.#options = options;
  }

  get session(): MediaSession<Track> | undefined {
    return this.#session;
  }

  get room(): string {
    return this.#options.room;
  }

  /** Joins the room; resolves once the first session negotiated. */
  async join(): Promise<MediaSession<Track>> {
    if (this.#session) throw new Error('join() was already called');
    return this.#startSession();
  }

  /**
   * Caps or pauses what this participant receives of one track (`trackId` from the `track`
   * event or the room view): `{maxLayer: 'q'}` for a thumbnail, `{paused: true}` for a hidden
   * tile. Applies to the current session (a rejoin starts again at the full layer).
   */
  setSubscription(trackId: string, change: SubscriptionChange): Promise<SubscriptionView> {
    const sessionId = this.#session?.info?.sessionId;
    if (!sessionId) return Promise.reject(new Error('not joined'));
    return this.#options.api.setSubscription(sessionId, trackId, change);
  }

  /** Leaves the room for good (no rejoin). Idempotent. */
  async leave(): Promise<void> {
    if (this.#leaving) return;
    this.#leaving = true;
    this.#abort.abort(new Error('left'));
    try {
      await this.#session?.leave();
    } finally {
      this.#finish('closed_by_client');
    }
  }

  async #startSession(): Promise<MediaSession<Track>> {
    const { api, peerFactory, room, echo, metadata, socketFactory, iceRecovery } = this.#options;
    const session = new MediaSession<Track>({
      api,
      peerFactory,
      request: {
        room,
        ...(echo === undefined ? {} : { echo }),
        ...(metadata === undefined ? {} : { metadata }),
      },
      ...(socketFactory ? { socketFactory } : {}),
      ...(iceRecovery ? { iceRecovery } : {}),
    });
    this.#session = session;
    const id = () => session.info?.sessionId ?? '';
    session.on('event', (event) => this.emit('event', { ...event, sessionId: id() }));
    session.on('state', (state) => this.emit('state', { ...state, sessionId: id() }));
    session.on('peerState', (state) => this.emit('peerState', { sessionId: id(), state }));
    session.on('track', (track) => this.emit('track', { ...track, sessionId: id() }));
    session.on('speaker', (speaker) => this.emit('speaker', { ...speaker, sessionId: id() }));
    session.on('error', (error) => this.emit('error', error));
    session.on('iceRestart', (info) => this.emit('iceRestart', { ...info, sessionId: id() }));
    session.on('iceRestarted', (info) => this.emit('iceRestarted', { ...info, sessionId: id() }));
    session.on('ended', ({ reason }) => {
      if (session !== this.#session || this.#leaving) return;
      if (shouldRejoin(reason, session.wasConnected)) {
        this.#rejoin(reason, id()).catch((error: unknown) => {
          this.emit('error', error instanceof Error ? error : new Error(String(error)));
        });
      } else {
        this.#finish(reason);
      }
    });
    await session.start();
    this.emit('session', session);
    return session;
  }

  async #rejoin(reason: SessionEndReason, previousSessionId: string): Promise<void> {
    const backoff = this.#options.rejoinBackoff ?? DEFAULT_REJOIN_BACKOFF;
    const startedAt = performance.now();
    for (let attempt = 1; attempt <= backoff.maxAttempts; attempt++) {
      if (this.#leaving) return;
      this.emit('rejoining', { reason, attempt, previousSessionId });
      try {
        const session = await this.#startSession();
        this.emit('rejoined', {
          sessionId: session.id,
          previousSessionId,
          reason,
          tookMs: performance.now() - startedAt,
        });
        return;
      } catch (error) {
        if (this.#leaving) return;
        if (!isRetryable(error)) {
          this.emit('error', error instanceof Error ? error : new Error(String(error)));
          this.#finish('rejoin_failed');
          return;
        }
        const hinted = error instanceof MediaApiError ? error.retryAfterSeconds : undefined;
        const delayMs = hinted !== undefined ? hinted * 1_000 : backoffDelay(attempt, backoff);
        try {
          await sleep(delayMs, this.#abort.signal);
        } catch {
          return;
        }
      }
    }
    this.#finish('rejoin_failed');
  }

  #finish(reason: SessionEndReason | 'rejoin_failed'): void {
    if (this.#ended) return;
    this.#ended = true;
    this.emit('ended', { reason });
  }
}
