/**
 * Every metric of the media node, in one registry (names are part of the contract, see
 * DESIGN.md). Labels are bounded: device classes come from an allow-list, routes are patterns.
 * RTP traffic is counted with plain integers on the hot path and folded into prom-client only
 * when scraped.
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import {
  createUdpDropCounters,
  UDP_DROP_REASONS,
  type UdpDropCounters,
} from '../rtc/udp-source-guard.ts';
import type { WorkerLoad } from '../workers/session-host.ts';
import { createForwardingMetrics } from './forwarding-metrics.ts';
import { createQualityMetrics } from './quality-metrics.ts';
import { createWorkerMetrics } from './worker-metrics.ts';

/** Per-packet counters, incremented on the forwarding path (no allocation, no labels). */
export interface RtpCounters {
  packetsIn: number;
  bytesIn: number;
  packetsOut: number;
  bytesOut: number;
}

/** Live values read at scrape time. */
export interface MetricsSources {
  activeSessions(): number;
  activeRooms(): number;
  drainRemaining(): number;
  /** Participants of every open room (any order). */
  roomSizes(): Iterable<number>;
  /** Per-worker load (worker threads only). */
  workers?(): readonly WorkerLoad[];
}

/**
 * Sources of a worker thread's registry: node-level gauges come from the main thread (its
 * registry is merged with the workers' by summing), so a worker reports none of them.
 */
export const WORKER_THREAD_SOURCES: MetricsSources = {
  activeSessions: () => 0,
  activeRooms: () => 0,
  drainRemaining: () => 0,
  roomSizes: () => [],
};

/** How many of the largest rooms `media_room_top_participants` reports. */
export const ROOM_TOP_K = 5;

/**
 * The `k` largest values, largest first, padded with 0 to length `k`. Per-room load without a
 * room label: room names are unbounded (and user data), ranks are not; who the big rooms are is
 * a question for the edge's `GET /api/media/rooms/:room`, not for a time series.
 */
export function topK(values: Iterable<number>, k: number): number[] {
  const top: number[] = [];
  for (const v of values) {
    if (top.length === k && v <= (top[k - 1] ?? 0)) continue;
    let i = top.length;
    while (i > 0 && (top[i - 1] ?? 0) < v) i--;
    top.splice(i, 0, v);
    if (top.length > k) top.pop();
  }
  while (top.length < k) top.push(0);
  return top;
}

const ICE_RESULTS = ['connected', 'failed', 'timeout'] as const;

/**
 * Buckets of `media_bandwidth_estimate_bps`: around the simulcast layers a
 * subscriber can take (q ~150k, h ~500k, f ~1.5M) and above. A distribution per node; which
 * session has which estimate is in its session view, never in a label.
 */
const BANDWIDTH_SOURCES = ['twcc', 'remb', 'loss'] as const;
const BANDWIDTH_BUCKETS_BPS = [
  50e3, 100e3, 200e3, 300e3, 450e3, 700e3, 1e6, 1.5e6, 2e6, 3e6, 5e6, 10e6,
];

const DEVICE_CLASSES = new Set([
  'web',
  'ios',
  'android',
  'desktop',
  'mobile',
  'bot',
  'test',
  'load',
  'demo',
]);

/** The bounded `device_class` label of a device id: its prefix before `-` if known, else `other`. */
export function deviceClass(deviceId: string): string {
  const prefix = deviceId.split('-', 1)[0]?.toLowerCase() ?? '';
  return DEVICE_CLASSES.has(prefix) ? prefix : 'other';
}

export type Metrics = ReturnType<typeof createMetrics>;

/**
 * A fresh registry (one per node instance, so tests can run several in one process). Worker
 * threads pass `processMetrics: false`: process and Node.js metrics come from the main thread.
 */
export function createMetrics(
  nodeId: string,
  sources: MetricsSources,
  options: { processMetrics: boolean } = { processMetrics: true },
) {
  const registry = new Registry();
  registry.setDefaultLabels({ node_id: nodeId });
  if (options.processMetrics) collectDefaultMetrics({ register: registry });
  const rtp: RtpCounters = { packetsIn: 0, bytesIn: 0, packetsOut: 0, bytesOut: 0 };
  const reported: RtpCounters = { packetsIn: 0, bytesIn: 0, packetsOut: 0, bytesOut: 0 };
  const fold = (c: Counter<'direction'>, inKey: keyof RtpCounters, outKey: keyof RtpCounters) => {
    c.inc({ direction: 'in' }, rtp[inKey] - reported[inKey]);
    c.inc({ direction: 'out' }, rtp[outKey] - reported[outKey]);
    reported[inKey] = rtp[inKey];
    reported[outKey] = rtp[outKey];
  };
  const r = [registry];
  const udpDrops: UdpDropCounters = createUdpDropCounters();
  const udpDropsReported: UdpDropCounters = createUdpDropCounters();
  return {
    registry,
    rtp,
    /** Per-datagram drop counts (receive path), folded into `udpDropped` when scraped. */
    udpDrops,
    udpDropped: new Counter({
      name: 'media_udp_dropped_total',
      help: 'Inbound media datagrams dropped before werift: unknown_source (not a validated ICE address of the session), bad_stun (binding request without valid credentials), malformed_stun',
      labelNames: ['reason'] as const,
      registers: r,
      collect() {
        for (const reason of UDP_DROP_REASONS) {
          this.inc({ reason }, udpDrops[reason] - udpDropsReported[reason]);
          udpDropsReported[reason] = udpDrops[reason];
        }
      },
    }),
    iceRestarts: new Counter({
      name: 'media_ice_restarts_total',
      help: 'ICE restarts of existing sessions: accepted (re-offer with new credentials answered), completed (a new pair nominated), refused (re-offer with bad or reused credentials)',
      labelNames: ['result'] as const,
      registers: r,
    }),
    activeSessions: new Gauge({
      name: 'media_active_sessions',
      help: 'Sessions open now',
      registers: r,
      collect() {
        this.set(sources.activeSessions());
      },
    }),
    sessionsCreated: new Counter({
      name: 'media_sessions_created_total',
      help: 'Sessions created, by device class (bounded label)',
      labelNames: ['device_class'] as const,
      registers: r,
    }),
    iceConnections: (() => {
      const c = new Counter({
        name: 'media_ice_connections_total',
        help: 'ICE connection outcomes: connected, failed, timeout',
        labelNames: ['result'] as const,
        registers: r,
      });
      // Present at 0 from the start, so rate() sees the first outcome and the success ratio
      // has a denominator series before anything happened.
      for (const result of ICE_RESULTS) c.inc({ result }, 0);
      return c;
    })(),
    setupSeconds: new Histogram({
      name: 'media_session_setup_seconds',
      help: 'Offer received to connected, in seconds',
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: r,
    }),
    bandwidthEstimate: (() => {
      const h = new Histogram({
        name: 'media_bandwidth_estimate_bps',
        help: 'Downlink bandwidth estimates of receiving sessions, one sample per session per second, by source (twcc, remb, loss)',
        labelNames: ['source'] as const,
        buckets: BANDWIDTH_BUCKETS_BPS,
        registers: r,
      });
      // Every source's series exists from the start (dashboards compare them).
      for (const source of BANDWIDTH_SOURCES) h.zero({ source });
      return h;
    })(),
    httpRequests: new Counter({
      name: 'media_http_requests_total',
      help: 'Internal API requests (route = pattern)',
      labelNames: ['method', 'route', 'status'] as const,
      registers: r,
    }),
    httpDuration: new Histogram({
      name: 'media_http_duration_seconds',
      help: 'Internal API latency in seconds',
      labelNames: ['method', 'route'] as const,
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: r,
    }),
    candidatesRejected: new Counter({
      name: 'media_ice_candidates_rejected_total',
      help: 'Remote ICE candidates refused by the per-session limit',
      registers: r,
    }),
    activeRooms: new Gauge({
      name: 'media_rooms_active',
      help: 'Rooms open now',
      registers: r,
      collect() {
        this.set(sources.activeRooms());
      },
    }),
    rtpPackets: new Counter({
      name: 'media_rtp_packets_total',
      help: 'RTP packets received (in) and forwarded (out)',
      labelNames: ['direction'] as const,
      registers: r,
      collect() {
        fold(this, 'packetsIn', 'packetsOut');
      },
    }),
    rtpBytes: new Counter({
      name: 'media_rtp_bytes_total',
      help: 'RTP payload bytes received (in) and forwarded (out)',
      labelNames: ['direction'] as const,
      registers: r,
      collect() {
        fold(this, 'bytesIn', 'bytesOut');
      },
    }),
    roomTopParticipants: new Gauge({
      name: 'media_room_top_participants',
      help: `Participants of the ${ROOM_TOP_K} largest rooms on this node, by rank (1 = largest; 0 = no such room)`,
      labelNames: ['rank'] as const,
      registers: r,
      collect() {
        topK(sources.roomSizes(), ROOM_TOP_K).forEach((size, i) => {
          this.set({ rank: String(i + 1) }, size);
        });
      },
    }),
    draining: new Gauge({ name: 'media_draining', help: '1 while draining', registers: r }),
    drainRemaining: new Gauge({
      name: 'media_drain_sessions_remaining',
      help: 'Sessions still open while draining (0 otherwise)',
      registers: r,
      collect() {
        this.set(sources.drainRemaining());
      },
    }),
    drainForcedCloses: new Counter({
      name: 'media_drain_forced_closes_total',
      help: 'Sessions closed with node_shutdown at the drain deadline',
      registers: r,
    }),
    eventsDropped: new Counter({
      name: 'media_edge_events_dropped_total',
      help: 'Session events dropped because the edge queue was full or rejected them',
      registers: r,
    }),
    edgeRequestFailures: new Counter({
      name: 'media_edge_request_failures_total',
      help: 'Failed requests to the edge, by kind (heartbeat, events)',
      labelNames: ['kind'] as const,
      registers: r,
    }),
    forwarding: createForwardingMetrics(r),
    quality: createQualityMetrics(r),
    workers: createWorkerMetrics(r, () => sources.workers?.() ?? []),
    internalErrors: new Counter({
      name: 'media_internal_errors_total',
      help: 'Errors caught inside werift callbacks or process handlers, by source',
      labelNames: ['source'] as const,
      registers: r,
    }),
  };
}
