/**
 * Media quality as node-wide histograms (issue 16 part 7): each track's loss, jitter and bitrate
 * and each session's round trip, observed once per stats interval (rtc/quality/). Labels are
 * bounded (`direction` in/out, `kind` audio/video): per-session figures are in
 * `GET /api/media/sessions/:id`, never a label. Registered by `createMetrics` (metrics.ts).
 */
import { Histogram, type Registry } from 'prom-client';
import type { TrackSample } from '../rtc/quality/session-stats.ts';

const STREAM_LABELS = ['direction', 'kind'] as const;

export function createQualityMetrics(registers: Registry[]) {
  const loss = new Histogram({
    name: 'media_stream_loss_ratio',
    help: 'Share of RTP packets lost per stream and stats interval: in = publisher to node (sequence gaps), out = node to subscriber (its receiver reports)',
    labelNames: STREAM_LABELS,
    buckets: [0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5],
    registers,
  });
  const jitter = new Histogram({
    name: 'media_stream_jitter_seconds',
    help: 'RTP interarrival jitter per stream and stats interval (out: as the subscriber reports it)',
    labelNames: STREAM_LABELS,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.04, 0.08, 0.16, 0.32],
    registers,
  });
  const bitrate = new Histogram({
    name: 'media_stream_bitrate_bps',
    help: 'RTP payload bitrate per stream and stats interval, bits per second (streams that sent or received packets in it)',
    labelNames: STREAM_LABELS,
    buckets: [16e3, 32e3, 64e3, 128e3, 256e3, 512e3, 1e6, 2e6, 4e6, 8e6],
    registers,
  });
  const rtt = new Histogram({
    name: 'media_rtt_seconds',
    help: 'Round trip between the node and a client per stats interval, from its receiver reports',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6],
    registers,
  });
  return {
    loss,
    jitter,
    bitrate,
    rtt,
    /** One session's samples of one interval; idle streams (no packets) are not observed. */
    observe(samples: readonly TrackSample[], rttMs: number | null): void {
      for (const { kind, direction, stream } of samples) {
        if (stream.intervalPackets <= 0) continue;
        const labels = { direction, kind };
        bitrate.observe(labels, stream.bitrateBps);
        if (stream.lossRatio !== null) loss.observe(labels, stream.lossRatio);
        if (stream.jitterMs !== null) jitter.observe(labels, stream.jitterMs / 1000);
      }
      if (rttMs !== null) rtt.observe(rttMs / 1000);
    },
  };
}
