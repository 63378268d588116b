/**
 * Session states and errors in plain words, for people rather than logs (the demo page shows
 * these). Pure: unit-tested in Node.
 */
import type { EndReason, SessionState } from '../shared/api.ts';
import type { ErrorCode } from '../shared/errors.ts';
import { MediaApiError, MediaTransportError } from './errors.ts';
import type { PeerConnectionState } from './peer.ts';
import type { SessionEndReason } from './session.ts';

const END_WORDS: Record<SessionEndReason, string> = {
  closed_by_client: 'You left the room.',
  closed_by_admin: 'An operator closed your session.',
  ice_failed:
    'The media connection failed: the network between you and the media server blocks it.',
  connect_timeout: 'The media connection could not be set up in time.',
  node_lost: 'The media server stopped responding.',
  node_shutdown: 'The media server is shutting down for maintenance.',
  node_rejected: 'The media server refused the session.',
  node_overloaded: 'The media server was overloaded and moved you to make room.',
  idle: 'Your session was closed after being idle.',
  expired: 'Your session expired.',
  events_lost: 'Lost the connection to the server.',
};

const STATE_WORDS: Record<SessionState, string> = {
  new: 'Setting up your session…',
  negotiating: 'Connecting media…',
  connected: 'Connected: sending and receiving media.',
  closed: 'Not connected.',
  failed: 'The session failed.',
};

const PEER_WORDS: Record<PeerConnectionState, string> = {
  new: 'Preparing the media connection…',
  connecting: 'Connecting media…',
  connected: 'Connected: sending and receiving media.',
  disconnected: 'Media interrupted; trying to recover…',
  failed: 'The media connection failed.',
  closed: 'Media connection closed.',
};

const ERROR_WORDS: Partial<Record<ErrorCode, string>> = {
  unauthorized:
    'Your token is missing, invalid or expired. Paste a fresh one (npm run token -- --device <name>).',
  forbidden: 'Your token does not allow this (is it limited to another room?).',
  invalid_request: 'The request was refused as invalid',
  session_not_found: 'The session no longer exists.',
  rate_limited: 'Too many requests: wait a moment and try again.',
  no_media_node: 'No media server is available right now: try again shortly.',
  media_node_unavailable: 'The media server did not answer: try again shortly.',
  capacity_exceeded: 'The media server is full: try again shortly.',
  draining: 'The media server is shutting down: try again shortly.',
  too_many_ice_candidates: 'Too many network candidates were sent for this session.',
};

export function describeEnd(reason: SessionEndReason | 'rejoin_failed'): string {
  if (reason === 'rejoin_failed') return 'Could not reconnect to another media server.';
  return END_WORDS[reason];
}

export function describeState(state: SessionState, reason?: EndReason): string {
  return reason ? END_WORDS[reason] : STATE_WORDS[state];
}

export function describePeerState(state: PeerConnectionState): string {
  return PEER_WORDS[state];
}

/** An error as a sentence; unknown errors keep their message so nothing is hidden. */
export function describeError(error: unknown): string {
  if (error instanceof MediaApiError) {
    const words = ERROR_WORDS[error.code];
    if (!words) return `The server refused: ${error.message}`;
    return error.code === 'invalid_request' ? `${words}: ${error.message}` : words;
  }
  if (error instanceof MediaTransportError) {
    return `Could not reach the server (${error.message}).`;
  }
  if (error instanceof Error && error.name === 'NotAllowedError') {
    return 'Camera and microphone access was denied.';
  }
  if (error instanceof Error && error.name === 'NotFoundError') {
    return 'No camera or microphone was found.';
  }
  return error instanceof Error ? error.message : String(error);
}
