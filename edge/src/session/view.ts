/** A stored session row and how it is shown to clients. */
import type {
  EndReason,
  SessionNodeRef,
  SessionState,
  SessionView,
  TrackInfo,
} from '../../../shared/api.ts';

/** One session as the shard stores it (times in ms since epoch). */
export interface SessionRecord {
  id: string;
  deviceId: string;
  room: string;
  echo: boolean;
  state: SessionState;
  reason: EndReason | null;
  nodeId: string;
  nodeRegion: string;
  nodeUrl: string;
  /** Client to node at creation, great-circle km; null when a location was unknown. */
  nodeDistanceKm: number | null;
  iceCandidates: number;
  tracks: TrackInfo[];
  metadata: Record<string, string | number | boolean> | null;
  createdAt: number;
  updatedAt: number;
  /** Connect deadline. */
  expiresAt: number;
  lastActivity: number;
  /** Seq of the session's newest event (0: none yet). */
  lastSeq: number;
}

export function nodeRef(r: Readonly<SessionRecord>): SessionNodeRef {
  return { id: r.nodeId, region: r.nodeRegion, distanceKm: r.nodeDistanceKm };
}

export function toView(r: Readonly<SessionRecord>): SessionView {
  const view: SessionView = {
    sessionId: r.id,
    deviceId: r.deviceId,
    room: r.room,
    echo: r.echo,
    state: r.state,
    node: nodeRef(r),
    iceCandidates: r.iceCandidates,
    tracks: r.tracks,
    createdAt: new Date(r.createdAt).toISOString(),
    updatedAt: new Date(r.updatedAt).toISOString(),
    expiresAt: new Date(r.expiresAt).toISOString(),
  };
  if (r.reason) view.reason = r.reason;
  if (r.metadata) view.metadata = r.metadata;
  return view;
}

/** A track list after a `track` event of the session's own publication. */
export function applyTrack(
  tracks: readonly TrackInfo[],
  action: 'added' | 'removed',
  track: TrackInfo,
): TrackInfo[] {
  const others = tracks.filter((t) => t.trackId !== track.trackId);
  return action === 'added' ? [...others, track] : others;
}
