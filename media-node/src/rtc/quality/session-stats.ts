/**
 * A session's quality stats (shared/stats.ts) from one sample of each of its tracks: what it
 * publishes (`in`) and what it receives (`out`). Called on the registry's stats timer; the result
 * is kept on the session, so reading it (`GET /internal/v1/sessions/:id`) costs nothing.
 */
import type { BandwidthView } from '../../../../shared/internal.ts';
import type { SessionStats, TrackStats } from '../../../../shared/stats.ts';
import type { PublishedTrack } from '../published-track.ts';
import type { Subscription } from '../subscription.ts';
import { combineStreams, meanOf, type WeightedStream } from './quality-math.ts';

/** Samples taken for one track, in the shape the metrics observe them. */
export interface TrackSample {
  kind: 'audio' | 'video';
  direction: 'in' | 'out';
  stream: WeightedStream;
  rttMs: number | null;
}

export function sampleSession(
  published: Iterable<PublishedTrack>,
  subscriptions: Iterable<Subscription>,
  now: number,
  epochMs: number,
  intervalMs: number,
  /** The session's downlink estimate (bwe/subscriber-bandwidth.ts), none while it receives nothing. */
  estimate?: BandwidthView | undefined,
): { stats: SessionStats; samples: TrackSample[] } {
  const tracks: TrackStats[] = [];
  const samples: TrackSample[] = [];
  const inbound: WeightedStream[] = [];
  const outbound: WeightedStream[] = [];
  const rtts: Array<number | null> = [];
  for (const track of published) {
    const stream = track.inbound.sample(now);
    inbound.push(stream);
    samples.push({ kind: track.kind, direction: 'in', stream, rttMs: null });
    tracks.push(trackStats(track.id, track.kind, 'in', stream, null, null));
  }
  for (const sub of subscriptions) {
    const { rttMs, ...stream } = sub.stats.sample(now);
    outbound.push(stream);
    rtts.push(rttMs);
    samples.push({ kind: sub.track.kind, direction: 'out', stream, rttMs });
    const index = sub.forwarder.layer;
    // The rid forwarded now; null without simulcast, or while paused or waiting for a keyframe.
    const layer = sub.track.simulcast && index >= 0 ? (sub.track.layers[index]?.rid ?? null) : null;
    tracks.push(trackStats(sub.track.id, sub.track.kind, 'out', stream, rttMs, layer));
  }
  return {
    stats: {
      at: new Date(epochMs).toISOString(),
      intervalMs: Math.round(intervalMs),
      inbound: combineStreams(inbound),
      outbound: combineStreams(outbound),
      rttMs: roundMs(meanOf(rtts)),
      estimateBps: estimate?.estimateBps ?? null,
      estimateSource: estimate?.source ?? null,
      tracks,
    },
    samples,
  };
}

function trackStats(
  trackId: string,
  kind: 'audio' | 'video',
  direction: 'in' | 'out',
  s: WeightedStream,
  rttMs: number | null,
  layer: string | null,
): TrackStats {
  return {
    trackId,
    kind,
    direction,
    bitrateBps: s.bitrateBps,
    packets: s.packets,
    lossRatio: s.lossRatio,
    jitterMs: roundMs(s.jitterMs),
    rttMs: roundMs(rttMs),
    layer,
  };
}

/** Milliseconds to 0.1 ms: finer is noise, and it keeps the JSON short. */
function roundMs(ms: number | null): number | null {
  return ms === null ? null : Math.round(ms * 10) / 10;
}
