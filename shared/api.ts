/**
 * The public API of the edge (`/api/media`): request and response schemas and their types.
 * Every inbound body is parsed with these schemas at the boundary; responses are typed by them.
 */
import { z } from 'zod';
import {
  MAX_CANDIDATE_LENGTH,
  MAX_CANDIDATES_PER_REQUEST,
  MAX_METADATA_LENGTH,
  MAX_SDP_LENGTH,
  NAME_PATTERN,
} from './limits.ts';
import type { SessionStats } from './stats.ts';

export const API_BASE = '/api/media';

export const SESSION_STATES = ['new', 'negotiating', 'connected', 'closed', 'failed'] as const;
export type SessionState = (typeof SESSION_STATES)[number];

/**
 * Why a session ended. `closed` sessions carry `closed_by_client` / `closed_by_admin`;
 * `failed` ones one of the others.
 */
export const END_REASONS = [
  'closed_by_client',
  'closed_by_admin',
  'ice_failed',
  'connect_timeout',
  'node_lost',
  'node_shutdown',
  'node_rejected',
  'node_overloaded',
  'idle',
  'expired',
] as const;
export type EndReason = (typeof END_REASONS)[number];
export const endReasonSchema = z.enum(END_REASONS);

export const nameSchema = z
  .string()
  .regex(NAME_PATTERN, 'must be 1-64 characters of A-Z a-z 0-9 _ . : -');

export const sdpSchema = z.string().min(1).max(MAX_SDP_LENGTH);

/** `RTCIceCandidateInit` as browsers serialize it. An empty `candidate` marks end-of-candidates. */
export const iceCandidateSchema = z.object({
  candidate: z.string().max(MAX_CANDIDATE_LENGTH),
  sdpMid: z.string().max(32).nullish(),
  sdpMLineIndex: z.number().int().min(0).max(255).nullish(),
  usernameFragment: z.string().max(256).nullish(),
});
export type IceCandidateInit = z.infer<typeof iceCandidateSchema>;

export const metadataSchema = z
  .record(z.string().max(64), z.union([z.string().max(256), z.number(), z.boolean()]))
  .refine((m) => JSON.stringify(m).length <= MAX_METADATA_LENGTH, {
    message: `must serialize to at most ${MAX_METADATA_LENGTH} characters`,
  });

export const createSessionSchema = z
  .object({
    room: nameSchema.optional(),
    echo: z.boolean().optional(),
    metadata: metadataSchema.optional(),
  })
  .strict();
export type CreateSessionRequest = z.infer<typeof createSessionSchema>;

export const offerSchema = z
  .object({ sdp: sdpSchema, type: z.literal('offer').optional() })
  .strict();
export const answerSchema = z
  .object({ sdp: sdpSchema, type: z.literal('answer').optional() })
  .strict();
export const candidatesSchema = z
  .object({ candidates: z.array(iceCandidateSchema).min(1).max(MAX_CANDIDATES_PER_REQUEST) })
  .strict();

export const listSessionsQuerySchema = z.object({
  room: nameSchema.optional(),
  device: nameSchema.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(512).optional(),
});
export type ListSessionsQuery = z.infer<typeof listSessionsQuerySchema>;

export interface IceServer {
  urls: string | string[];
  username?: string;
  credential?: string;
}

export interface NodeRef {
  id: string;
  region: string;
}

/** The node of a session: where it is relative to the client that created it. */
export interface SessionNodeRef extends NodeRef {
  /**
   * Great-circle km from the client's location (Cloudflare's, city-level) to the node's, at
   * creation; null when either was unknown.
   */
  distanceKm: number | null;
}

/** Simulcast layer names, lowest first: quarter, half, full resolution. */
export const LAYER_NAMES = ['q', 'h', 'f'] as const;
export type LayerName = (typeof LAYER_NAMES)[number];

/** A track id as the node names them (`<publisher session id>:<mid>`). */
export const trackIdSchema = z.string().regex(/^[A-Za-z0-9_.:-]{1,100}$/, 'not a track id');

/**
 * `PUT /api/media/sessions/:id/subscriptions/:trackId`: what this session gets of one track it
 * receives: at most `maxLayer` (a cap; the node's allocator may go lower), or nothing while
 * `paused`. Fields left out keep their value (initially `f`, not paused).
 */
export const subscriptionChangeSchema = z
  .object({ maxLayer: z.enum(LAYER_NAMES).optional(), paused: z.boolean().optional() })
  .strict()
  .refine((v) => v.maxLayer !== undefined || v.paused !== undefined, {
    message: 'maxLayer or paused is required',
  });
export type SubscriptionChange = z.infer<typeof subscriptionChangeSchema>;

/** `200` body of that `PUT`: the subscription as the node applies it. */
export const subscriptionViewSchema = z.object({
  trackId: z.string(),
  kind: z.enum(['audio', 'video']),
  /** The publisher's simulcast layers, lowest first (empty: one encoding). */
  rids: z.array(z.string()),
  maxLayer: z.enum(LAYER_NAMES),
  paused: z.boolean(),
  /** What is forwarded now: a rid (`""` for a track without simulcast), or null (none). */
  layer: z.string().nullable(),
});
export type SubscriptionView = z.infer<typeof subscriptionViewSchema>;

export interface TrackInfo {
  trackId: string;
  kind: 'audio' | 'video';
}

export interface SessionLinks {
  self: string;
  offer: string;
  answer: string;
  candidates: string;
  events: string;
}

/** `201` body of `POST /api/media/sessions`. */
export interface CreateSessionResponse {
  sessionId: string;
  room: string;
  state: SessionState;
  node: SessionNodeRef;
  iceServers: IceServer[];
  /** ISO time after which a session that never connected is reaped. */
  expiresAt: string;
  links: SessionLinks;
}

/** `200` body of `GET /api/media/sessions/:id` and the items of the listing. */
export interface SessionView {
  sessionId: string;
  deviceId: string;
  room: string;
  echo: boolean;
  state: SessionState;
  reason?: EndReason;
  node: SessionNodeRef | null;
  /** Client candidates accepted so far (at most `MAX_ICE_CANDIDATES`). */
  iceCandidates: number;
  tracks: TrackInfo[];
  metadata?: Record<string, string | number | boolean>;
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
  /**
   * Media quality now (stats.ts), asked of the media node on `GET /sessions/:id` while the
   * session is `negotiating` or `connected` (null otherwise, or when the node did not answer);
   * absent from the listing.
   */
  stats?: SessionStats | null;
}

export interface ListSessionsResponse {
  sessions: SessionView[];
  nextCursor: string | null;
}

export interface AnswerResponse {
  type: 'answer';
  sdp: string;
}

export interface RoomParticipant {
  sessionId: string;
  deviceId: string;
  state: SessionState;
  tracks: TrackInfo[];
}

/** `200` body of `GET /api/media/rooms/:room`. */
export interface RoomView {
  room: string;
  node: NodeRef | null;
  participants: RoomParticipant[];
  /** Session id of the room's active speaker (the `speaker` event's), null when none. */
  activeSpeaker: string | null;
}

/** The links of a session, relative to the API origin. */
export function sessionLinks(sessionId: string): SessionLinks {
  const self = `${API_BASE}/sessions/${encodeURIComponent(sessionId)}`;
  return {
    self,
    offer: `${self}/offer`,
    answer: `${self}/answer`,
    candidates: `${self}/candidates`,
    events: `${self}/events`,
  };
}
