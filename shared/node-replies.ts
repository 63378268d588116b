/**
 * Runtime schemas of the media node's replies to the edge (the shapes are the interfaces in
 * internal.ts and api.ts), so the edge parses what a node says instead of trusting it.
 */
import { z } from 'zod';
import { nameSchema, SESSION_STATES, sdpSchema } from './api.ts';
import { sessionStatsSchema } from './stats.ts';

const trackInfoSchema = z.object({
  trackId: z.string().max(128),
  kind: z.enum(['audio', 'video']),
});

/** `200` of `POST /internal/v1/sessions/:id/offer`. */
export const nodeAnswerSchema = z.object({ type: z.literal('answer'), sdp: sdpSchema });

/** `200` of `GET /internal/v1/rooms/:room` (`NodeRoomView`). */
export const nodeRoomViewSchema = z.object({
  room: nameSchema,
  participants: z
    .array(
      z.object({
        sessionId: z.string().max(64),
        deviceId: nameSchema,
        state: z.enum(SESSION_STATES),
        tracks: z.array(trackInfoSchema).max(64),
      }),
    )
    .max(10_000),
  /** Optional: a node from before the active speaker answers without it. */
  activeSpeaker: z.string().max(64).nullable().default(null),
});

/** The part of `GET /internal/v1/sessions/:id` (`NodeSessionView`) the edge reads: its stats. */
export const nodeSessionStatsSchema = z.object({
  sessionId: z.string().max(64),
  stats: sessionStatsSchema.nullable().default(null),
});
