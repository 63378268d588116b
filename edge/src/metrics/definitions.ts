/**
 * The edge's metrics: names are part of the operator contract (`media_edge_` prefix, `_total`
 * for counters, `_seconds` for durations) and every label has a bounded set of values (reasons,
 * states, shard numbers, route patterns, methods and status codes from fixed lists).
 */
import { END_REASONS } from '../../../shared/api.ts';

/** Request latency buckets in seconds: 5 ms .. 10 s, enough to tell a slow node from a fast edge. */
export const LATENCY_BUCKETS_SECONDS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

export const EDGE_METRICS = {
  http_requests: {
    name: 'media_edge_http_requests_total',
    type: 'counter',
    help: 'Requests served by the edge Worker, by method, route pattern and status code.',
    labels: ['method', 'route', 'status'],
  },
  http_duration: {
    name: 'media_edge_http_duration_seconds',
    type: 'histogram',
    help: 'Latency of the edge Worker in seconds, by method and route pattern.',
    labels: ['method', 'route'],
    buckets: LATENCY_BUCKETS_SECONDS,
  },
  shard_requests: {
    name: 'media_edge_shard_requests_total',
    type: 'counter',
    help: 'Requests handled by the session shards.',
  },
  sessions_created: {
    name: 'media_edge_sessions_created_total',
    type: 'counter',
    help: 'Sessions created.',
  },
  sessions_refused: {
    name: 'media_edge_sessions_refused_total',
    type: 'counter',
    help: 'Session creates refused by a limit, by limit (device_cap: MAX_SESSIONS_PER_DEVICE).',
    labels: ['limit'],
    initial: ['device_cap'],
  },
  sessions_active: {
    name: 'media_edge_sessions_active',
    type: 'gauge',
    help: 'Sessions not yet ended, per shard.',
    labels: ['shard'],
  },
  sessions_failed: {
    name: 'media_edge_sessions_failed_total',
    type: 'counter',
    help: 'Sessions that ended failed, by reason.',
    labels: ['reason'],
    initial: END_REASONS.filter((r) => !r.startsWith('closed_')),
  },
  sessions_closed: {
    name: 'media_edge_sessions_closed_total',
    type: 'counter',
    help: 'Sessions closed normally, by reason.',
    labels: ['reason'],
    initial: END_REASONS.filter((r) => r.startsWith('closed_')),
  },
  ice_candidates_rejected: {
    name: 'media_edge_ice_candidates_rejected_total',
    type: 'counter',
    help: 'Client ICE candidates refused by the per-session limit.',
  },
  websockets_open: {
    name: 'media_edge_websockets_open',
    type: 'gauge',
    help: 'Event WebSockets open now.',
  },
  websockets_slow_closed: {
    name: 'media_edge_websockets_slow_closed_total',
    type: 'counter',
    help: 'Event WebSockets closed because the consumer fell behind.',
  },
  node_events: {
    name: 'media_edge_node_events_total',
    type: 'counter',
    help: 'Session events reported by media nodes, by result (applied, ignored).',
    labels: ['result'],
    initial: ['applied', 'ignored'],
  },
  heartbeats: {
    name: 'media_edge_heartbeats_total',
    type: 'counter',
    help: 'Media node heartbeats accepted.',
  },
  nodes: {
    name: 'media_edge_nodes',
    type: 'gauge',
    help: 'Registered media nodes, by state.',
    labels: ['state'],
  },
  nodes_lost: {
    name: 'media_edge_nodes_lost_total',
    type: 'counter',
    help: 'Media node instances dropped, by reason (node_lost, node_shutdown).',
    labels: ['reason'],
    initial: ['node_lost', 'node_shutdown'],
  },
  placements: {
    name: 'media_edge_placements_total',
    type: 'counter',
    help: 'Rooms (and private sessions) placed on a node, by how: region (nearest node, near the client), nearest (the nearest had no room: the next nearest), fallback (no location: least loaded).',
    labels: ['match'],
    initial: ['region', 'nearest', 'fallback'],
  },
  placements_refused: {
    name: 'media_edge_placements_refused_total',
    type: 'counter',
    help: 'Session creates no node could take, by error code (503 with Retry-After).',
    labels: ['code'],
    initial: ['no_media_node', 'capacity_exceeded', 'draining'],
  },
  registry_calls: {
    name: 'media_edge_registry_calls_total',
    type: 'counter',
    help: 'Calls into the one NodeRegistry object, by operation: heartbeats, directory pulls, shared-pool reservations, operator reads. Creates should cause almost none.',
    labels: ['op'],
    initial: ['heartbeat', 'directory', 'reserve', 'list_nodes', 'metrics'],
  },
  webhooks_delivered: {
    name: 'media_edge_webhooks_delivered_total',
    type: 'counter',
    help: 'Webhook deliveries a receiver accepted (2xx), one per event and receiver.',
  },
  webhooks_retried: {
    name: 'media_edge_webhooks_retried_total',
    type: 'counter',
    help: 'Webhook attempts that failed (error, timeout, non-2xx) and were scheduled again.',
  },
  webhooks_failed: {
    name: 'media_edge_webhooks_failed_total',
    type: 'counter',
    help: 'Webhook deliveries given up, by reason (expired: past WEBHOOK_RETRY_FOR_MS; gone: the receiver answered 410 and is disabled; disabled: not queued for a disabled receiver; queue_full: WEBHOOK_QUEUE_LIMIT reached; unconfigured: the receiver left WEBHOOK_URLS).',
    labels: ['reason'],
    initial: ['expired', 'gone', 'disabled', 'queue_full', 'unconfigured'],
  },
  webhooks_handoff_retried: {
    name: 'media_edge_webhooks_handoff_retried_total',
    type: 'counter',
    help: 'Webhook events a shard, room placer or the registry could not hand to a dispatcher object; they stay in its outbox and are handed over again (nothing is lost).',
  },
  webhooks_queue_depth: {
    name: 'media_edge_webhooks_queue_depth',
    type: 'gauge',
    help: 'Webhook deliveries queued (not yet delivered), per dispatcher object.',
    labels: ['dispatcher'],
  },
  webhooks_oldest_age: {
    name: 'media_edge_webhooks_oldest_age_seconds',
    type: 'gauge',
    help: 'Age of the oldest queued webhook delivery in seconds (0 when none), per dispatcher object.',
    labels: ['dispatcher'],
  },
  scrape_unreachable: {
    name: 'media_edge_metrics_unreachable_objects',
    type: 'gauge',
    help: 'Durable Objects that did not answer this scrape in time.',
  },
} as const satisfies Record<string, MetricDefinition>;

export interface MetricDefinition {
  name: string;
  type: 'counter' | 'gauge' | 'histogram';
  help: string;
  /** Label names, in the order their values are encoded in a sample's `label`. */
  labels?: readonly string[];
  /** Upper bounds of a histogram's buckets (without +Inf), increasing. */
  buckets?: readonly number[];
  /**
   * Values of a single-label counter printed as 0 before anything happened, so `rate()` and
   * `increase()` see the first event and dashboards show 0 instead of "no data".
   */
  initial?: readonly string[];
}

export type MetricKey = keyof typeof EDGE_METRICS;
export type HistogramKey = {
  [K in MetricKey]: (typeof EDGE_METRICS)[K]['type'] extends 'histogram' ? K : never;
}[MetricKey];
export type ScalarKey = Exclude<MetricKey, HistogramKey>;

/** One value of a counter or gauge; `label` encodes the label values (see {@link encodeLabels}). */
export interface ScalarSample {
  metric: ScalarKey;
  label: string;
  value: number;
}

/** One series of a histogram: per-bucket (not cumulative) counts, the last one for +Inf. */
export interface HistogramSample {
  metric: HistogramKey;
  label: string;
  counts: number[];
  sum: number;
}

export type MetricSample = ScalarSample | HistogramSample;

/**
 * Label values are stored as one string (the counters tables' `label` column). A single value
 * encodes as itself, so rows written before labels became lists read the same.
 */
const SEPARATOR = '\u001f';

export function encodeLabels(values: readonly string[]): string {
  return values.join(SEPARATOR);
}

export function decodeLabels(label: string): string[] {
  return label.split(SEPARATOR);
}

export function isMetricKey(name: string): name is MetricKey {
  return Object.hasOwn(EDGE_METRICS, name);
}

export function isScalarKey(name: string): name is ScalarKey {
  return isMetricKey(name) && EDGE_METRICS[name].type !== 'histogram';
}

export function isHistogramKey(name: string): name is HistogramKey {
  return isMetricKey(name) && EDGE_METRICS[name].type === 'histogram';
}
