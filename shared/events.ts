/**
 * Session events: what the media node reports about a session (node -> edge, signed), and what
 * the edge pushes to the session's event WebSocket, numbered by `seq`.
 */
import { z } from 'zod';
import {
  endReasonSchema,
  iceCandidateSchema,
  nameSchema,
  SESSION_STATES,
  sdpSchema,
} from './api.ts';

const trackKind = z.enum(['audio', 'video']);

/** The event bodies, discriminated by `type`. */
export const eventBodySchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('state'),
    state: z.enum(SESSION_STATES),
    reason: endReasonSchema.optional(),
  }),
  /** A server ICE candidate for the client (trickle from the node). */
  z.object({ type: z.literal('candidate'), candidate: iceCandidateSchema }),
  /** A server-initiated renegotiation offer: answer with `POST .../answer`. */
  z.object({ type: z.literal('offer'), sdp: sdpSchema }),
  /**
   * Another participant joined or left the room. Its id is `participantSessionId`: `sessionId`
   * is the recipient's in both the node's events and the socket's envelope.
   */
  z.object({
    type: z.literal('participant'),
    action: z.enum(['joined', 'left']),
    participantSessionId: z.string().max(64),
    deviceId: nameSchema,
  }),
  /**
   * A track published in the room (sent to every participant, the publisher included).
   * `unsupported_codec`: the recipient did not offer the publisher's codec (`codec`, e.g.
   * `video/H264`), and the node does not transcode, so it will not receive this track.
   */
  z.object({
    type: z.literal('track'),
    action: z.enum(['added', 'removed', 'unsupported_codec']),
    codec: z.string().max(64).optional(),
    trackId: z.string().max(128),
    kind: trackKind,
    publisherSessionId: z.string().max(64),
    publisherDeviceId: nameSchema,
  }),
  /**
   * The room's active speaker changed (sent to every participant, the speaker included):
   * `participantSessionId` is the loudest publisher of audio, smoothed and with hysteresis
   * (media-node rtc/active-speaker.ts); null once the speaker left and nobody speaks.
   */
  z.object({
    type: z.literal('speaker'),
    participantSessionId: z.string().max(64).nullable(),
    deviceId: nameSchema.nullable(),
  }),
  /**
   * Dynacast, to the publisher of a simulcast track: the layers (rids) someone receives. The
   * publisher sends only these (`RTCRtpEncodingParameters.active`); a layer not listed is
   * paused until a later event lists it again.
   */
  z.object({
    type: z.literal('layers'),
    trackId: z.string().max(128),
    active: z.array(z.string().max(16)).max(3),
  }),
  /** The session is over; the socket closes after this event. */
  z.object({ type: z.literal('closed'), reason: endReasonSchema }),
]);
export type EventBody = z.infer<typeof eventBodySchema>;
export type EventType = EventBody['type'];

/** An event as a client receives it on the socket. */
export type SessionEvent = EventBody & {
  /** Per-session sequence number, from 1, without gaps. */
  seq: number;
  sessionId: string;
  /** ISO time the edge accepted the event. */
  at: string;
};

/** Frames a client may send on its event socket. */
export const clientFrameSchema = z.discriminatedUnion('type', [
  /** Everything up to and including `seq` was received; frees the server's send queue. */
  z.object({ type: z.literal('ack'), seq: z.number().int().min(0) }),
  z.object({ type: z.literal('ping') }),
]);
export type ClientFrame = z.infer<typeof clientFrameSchema>;

/** Not numbered: the reply to `ping`. */
export interface PongFrame {
  type: 'pong';
}

/**
 * The exact ping text the edge answers without running any code (the Workers runtime's
 * WebSocket auto-response), and its answer. Clients send exactly this; other spellings of a
 * ping still get a pong, through the slower path that counts against the frame limit.
 */
export const PING_FRAME = '{"type":"ping"}';
export const PONG_FRAME = '{"type":"pong"}';

/** One event reported by a media node about one of its sessions. */
export const nodeEventSchema = z.intersection(
  z.object({ sessionId: z.string().min(1).max(64) }),
  eventBodySchema,
);
export type NodeEvent = z.infer<typeof nodeEventSchema>;

/** Exhaustiveness check for switches over discriminated unions. */
export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}
