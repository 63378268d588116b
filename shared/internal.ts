/**
 * The internal protocol between the edge and the media nodes. Every request in both
 * directions is signed with `signing.ts`.
 *
 * edge -> node, base `INTERNAL_BASE` on the node:
 *   POST   /sessions/:id/offer       NodeOfferRequest  -> 200 AnswerResponse
 *   POST   /sessions/:id/answer      { sdp }           -> 204
 *   POST   /sessions/:id/candidates  { candidates }    -> 204 (429 past the limit)
 *   GET    /sessions/:id                               -> 200 NodeSessionView
 *   DELETE /sessions/:id?reason=R                      -> 204 (also when already gone)
 *   GET    /rooms/:room                                -> 200 NodeRoomView
 *
 * node -> edge, base `INTERNAL_BASE` on the edge:
 *   POST   /nodes/heartbeat          Heartbeat         -> 200 HeartbeatReply
 *   POST   /events                   NodeEventBatch    -> 204
 */
import { z } from 'zod';
import {
  endReasonSchema,
  nameSchema,
  type SESSION_STATES,
  sdpSchema,
  type TrackInfo,
} from './api.ts';
import { nodeEventSchema } from './events.ts';
import type { SessionStats } from './stats.ts';

export const INTERNAL_BASE = '/internal/v1';

/**
 * What a session does in its room. Absent: an ordinary participant (publishes, and is offered
 * every other track by renegotiation). `publish` (WHIP): publishes only; it is never offered
 * anything, since a WHIP client takes no offers. `view` (WHEP): receives only, on the m-lines of
 * its one offer, which the node fills with the room's (or one participant's) current tracks.
 */
export const sessionModeSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('publish') }).strict(),
  z
    .object({
      kind: z.literal('view'),
      /** A participant's session id or device id; absent: anyone in the room. */
      participant: nameSchema.optional(),
    })
    .strict(),
]);
export type SessionMode = z.infer<typeof sessionModeSchema>;

export const nodeOfferSchema = z
  .object({
    room: nameSchema,
    deviceId: nameSchema,
    echo: z.boolean(),
    sdp: sdpSchema,
    mode: sessionModeSchema.optional(),
  })
  .strict();
export type NodeOfferRequest = z.infer<typeof nodeOfferSchema>;

export const closeQuerySchema = z.object({ reason: endReasonSchema.default('closed_by_client') });

/**
 * A subscriber's downlink estimate (bit/s) and what it is based on: transport-cc feedback, the
 * subscriber's REMB, or receiver-report loss alone.
 */
export interface BandwidthView {
  estimateBps: number;
  source: 'twcc' | 'remb' | 'loss';
}

export interface NodeSessionView {
  sessionId: string;
  room: string;
  deviceId: string;
  echo: boolean;
  state: (typeof SESSION_STATES)[number];
  iceCandidates: number;
  tracks: TrackInfo[];
  /** The node's last stats interval (null before the first one ended). */
  stats: SessionStats | null;
}

export interface NodeRoomView {
  room: string;
  participants: Array<Pick<NodeSessionView, 'sessionId' | 'deviceId' | 'state' | 'tracks'>>;
  /** Session id of the active speaker, null when none. */
  activeSpeaker: string | null;
}

/** Where a node is, in degrees (its LATITUDE / LONGITUDE settings). */
export const nodeLocationSchema = z
  .object({
    latitude: z.number().min(-90).max(90),
    longitude: z.number().min(-180).max(180),
  })
  .strict();
export type NodeLocation = z.infer<typeof nodeLocationSchema>;

export const NODE_STATES = ['ready', 'draining', 'stopped'] as const;
export type NodeState = (typeof NODE_STATES)[number];

const workerLoadSchema = z.object({
  id: z.number().int().min(0),
  sessions: z.number().int().min(0),
  rooms: z.number().int().min(0),
  /** Busy fraction of the worker's core over the last interval, 0..1. */
  cpu: z.number().min(0).max(1),
});

export const heartbeatSchema = z
  .object({
    nodeId: nameSchema,
    /** Base URL the edge uses to reach this node's internal API. */
    url: z.url({ protocol: /^https?$/ }),
    region: z.string().min(1).max(32),
    /**
     * Where the node is (degrees, WGS 84), for nearest-node placement. Optional: a node without
     * it is placed by load only (`fallback`), and older nodes keep registering.
     */
    location: nodeLocationSchema.optional(),
    state: z.enum(NODE_STATES),
    /** Process start, ms since epoch: a restart is a new instance (its old sessions are gone). */
    startedAt: z.number().int().min(0),
    load: z.object({
      sessions: z.number().int().min(0),
      rooms: z.number().int().min(0),
      maxSessions: z.number().int().min(1),
      eventLoopLagMs: z.number().min(0),
      rssBytes: z.number().int().min(0).optional(),
      workers: z.array(workerLoadSchema).max(256).optional(),
    }),
  })
  .strict();
export type Heartbeat = z.infer<typeof heartbeatSchema>;

export interface HeartbeatReply {
  /** How often the edge expects heartbeats, in ms. */
  heartbeatIntervalMs: number;
}

export const nodeEventBatchSchema = z
  .object({
    nodeId: nameSchema,
    events: z.array(nodeEventSchema).min(1).max(500),
  })
  .strict();
export type NodeEventBatch = z.infer<typeof nodeEventBatchSchema>;
