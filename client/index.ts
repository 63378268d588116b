/**
 * The client SDK, for browsers and Node: typed API calls, the events socket, sessions and room
 * participants that restart ICE on a broken media path and rejoin elsewhere when their media
 * node goes away. Platform adapters:
 * `browser/browser-peer.ts` (RTCPeerConnection) and `werift-peer.ts` (Node, werift).
 */
export type * from '../shared/api.ts';
export type { SessionEvent } from '../shared/events.ts';
export { type FetchLike, type ListSessionsFilter, MediaApi, type MediaApiOptions } from './api.ts';
export { CandidateTrickler } from './candidate-trickler.ts';
export { Emitter, type Unsubscribe } from './emitter.ts';
export { isRetryable, MediaApiError, MediaTransportError } from './errors.ts';
export {
  EventStream,
  globalSocketFactory,
  type SocketFactory,
  type SocketHandlers,
  type SocketLike,
} from './event-stream.ts';
export {
  DEFAULT_ICE_RECOVERY,
  type IceRecoveryTimings,
  type IceRestartTrigger,
} from './ice-recovery.ts';
export {
  type ParticipantEvents,
  type ParticipantOptions,
  REJOIN_REASONS,
  RoomParticipant,
  shouldRejoin,
} from './participant.ts';
export type {
  PeerAdapter,
  PeerConnectionState,
  PeerFactory,
  RemoteTrack,
  SessionDescriptionInit,
} from './peer.ts';
export {
  MediaSession,
  type MediaSessionEvents,
  type SessionEndReason,
  type SessionTimings,
} from './session.ts';
