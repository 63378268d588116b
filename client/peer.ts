/**
 * The SDK's view of a peer connection. The browser's `RTCPeerConnection` and werift's differ
 * (werift: `pc.onIceCandidate.subscribe`, tracks through `onRemoteTransceiverAdded`), so each
 * gets a small adapter (`browser/browser-peer.ts`, `werift-peer.ts`) and the session logic is
 * written once against this interface.
 */
import type { IceCandidateInit, IceServer } from '../shared/api.ts';
import type { Unsubscribe } from './emitter.ts';

export interface SessionDescriptionInit {
  type: 'offer' | 'answer';
  sdp: string;
}

export type PeerConnectionState =
  | 'new'
  | 'connecting'
  | 'connected'
  | 'disconnected'
  | 'failed'
  | 'closed';

/** A track the remote side sends us. `Track` is the platform's track type. */
export interface RemoteTrack<Track> {
  track: Track;
  kind: 'audio' | 'video';
  /** The m-line's mid. */
  mid: string | null;
  /** Stream ids from the SDP's `msid` (the node names the publisher there). */
  streamIds: string[];
  /** The track id from the SDP's `msid`, when known. */
  trackId: string | null;
}

export interface PeerAdapter<Track = unknown> {
  readonly connectionState: PeerConnectionState;
  /** `iceRestart`: new ICE credentials, so the remote side restarts ICE (RFC 8445 9). */
  createOffer(options?: { iceRestart?: boolean }): Promise<SessionDescriptionInit>;
  createAnswer(): Promise<SessionDescriptionInit>;
  /** Applies `description` and returns the local description now in effect. */
  setLocalDescription(description: SessionDescriptionInit): Promise<SessionDescriptionInit>;
  setRemoteDescription(description: SessionDescriptionInit): Promise<void>;
  /** `null` signals end-of-candidates from the remote side. */
  addIceCandidate(candidate: IceCandidateInit | null): Promise<void>;
  /** Local candidates as gathered; `null` once gathering completed. */
  onIceCandidate(listener: (candidate: IceCandidateInit | null) => void): Unsubscribe;
  onConnectionStateChange(listener: (state: PeerConnectionState) => void): Unsubscribe;
  onTrack(listener: (track: RemoteTrack<Track>) => void): Unsubscribe;
  /**
   * Dynacast: send only the simulcast encodings named in `active` (rids) on the m-line `mid`,
   * pause the others. Optional: a platform without simulcast sending ignores the event.
   */
  setActiveLayers?(mid: string, active: readonly string[]): Promise<void>;
  /** Idempotent. */
  close(): void;
}

/** Builds a fresh peer connection for a session (a rejoin gets a new one). */
export type PeerFactory<Track = unknown> = (config: {
  iceServers: IceServer[];
}) => PeerAdapter<Track> | Promise<PeerAdapter<Track>>;

/** Reads `a=msid:<stream> <track>` of the m-section with `mid` from an SDP. */
export function msidOf(
  sdp: string,
  mid: string | null,
): { streamIds: string[]; trackId: string | null } {
  const sections = sdp.split(/\r?\nm=/).slice(1);
  for (const section of sections) {
    const midLine = /^a=mid:(\S+)/m.exec(section);
    if (mid !== null && midLine?.[1] !== mid) continue;
    const streamIds: string[] = [];
    let trackId: string | null = null;
    for (const match of section.matchAll(/^a=msid:(\S+)(?: (\S+))?/gm)) {
      if (match[1] && match[1] !== '-') streamIds.push(match[1]);
      trackId ??= match[2] ?? null;
    }
    return { streamIds, trackId };
  }
  return { streamIds: [], trackId: null };
}
