/**
 * Media quality of a session, as the media node measures it (issue 16 part 7): per session and
 * per track, loss, jitter, round trip and bitrate in both directions. Shown in
 * `GET /api/media/sessions/:id` (`stats`) and parsed by the edge from the node's session view.
 *
 * Directions are the node's: `in` is what the session publishes (measured by the node as it
 * receives), `out` what the session receives (measured by the node as it sends, with loss,
 * jitter and round trip from the client's RTCP receiver reports). An echo session's own media
 * sent back to it is not a subscription and is not counted as `out`.
 *
 * `layer` is the simulcast layer forwarded to a subscriber (null without simulcast, or while
 * paused). `estimateBps` / `estimateSource` are the bandwidth estimate towards the client
 * (media-node/src/bwe/), null while it receives nothing. Nothing is invented: a value the node
 * has not measured is `null`.
 */
import { z } from 'zod';

/** One direction of a stream (or a session's sum of them) over the node's last interval. */
export const streamStatsSchema = z.object({
  /** RTP payload bits per second over the interval. */
  bitrateBps: z.number().min(0),
  /** RTP packets since the stream started (cumulative). */
  packets: z.number().int().min(0),
  /**
   * Share of packets lost over the interval, 0..1: `in` the gaps in the publisher's sequence
   * numbers, `out` the subscriber's receiver report (fraction lost). Null: nothing to measure
   * (no packets expected, no report yet).
   */
  lossRatio: z.number().min(0).max(1).nullable(),
  /** Interarrival jitter (RFC 3550 6.4.1) in ms; null before the first measurement or report. */
  jitterMs: z.number().min(0).nullable(),
});
export type StreamStats = z.infer<typeof streamStatsSchema>;

export const trackStatsSchema = streamStatsSchema.extend({
  trackId: z.string().max(128),
  kind: z.enum(['audio', 'video']),
  /** `in`: a track this session publishes; `out`: another participant's track it receives. */
  direction: z.enum(['in', 'out']),
  /** `out` only: round trip to the client from its receiver reports, ms; null before one. */
  rttMs: z.number().min(0).nullable(),
  /** `out` only: the simulcast layer forwarded (`q`/`h`/`f`); null without simulcast. */
  layer: z.string().max(8).nullable(),
});
export type TrackStats = z.infer<typeof trackStatsSchema>;

export const sessionStatsSchema = z.object({
  /** ISO time the node measured these (its stats interval ends). */
  at: z.string().max(40),
  /** The interval rates and loss are over, ms. */
  intervalMs: z.number().int().min(0),
  /** Sum of the `in` tracks (loss weighted by packets, jitter the worst). */
  inbound: streamStatsSchema,
  /** Sum of the `out` tracks. */
  outbound: streamStatsSchema,
  /** Round trip to the client, ms: the mean of the `out` tracks' (null: it receives nothing yet). */
  rttMs: z.number().min(0).nullable(),
  /** Bandwidth estimate towards the client, bit/s; null while it receives nothing. */
  estimateBps: z.number().min(0).nullable(),
  /**
   * What the estimate rests on: `twcc` (transport-cc feedback, delay and loss), `remb` (the
   * client's own estimate, capped by receiver-report loss) or `loss` (receiver reports alone).
   */
  estimateSource: z.enum(['twcc', 'remb', 'loss']).nullable(),
  tracks: z.array(trackStatsSchema).max(256),
});
export type SessionStats = z.infer<typeof sessionStatsSchema>;
