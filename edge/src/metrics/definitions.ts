/**
 * The edge's metrics: names are part of the operator contract (`media_edge_` prefix, `_total`
 * for counters) and every label has a bounded set of values (reasons, states, shard numbers).
 */
export const EDGE_METRICS = {
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
  sessions_active: {
    name: 'media_edge_sessions_active',
    type: 'gauge',
    help: 'Sessions not yet ended, per shard.',
    label: 'shard',
  },
  sessions_failed: {
    name: 'media_edge_sessions_failed_total',
    type: 'counter',
    help: 'Sessions that ended failed, by reason.',
    label: 'reason',
  },
  sessions_closed: {
    name: 'media_edge_sessions_closed_total',
    type: 'counter',
    help: 'Sessions closed normally, by reason.',
    label: 'reason',
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
    label: 'result',
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
    label: 'state',
  },
  nodes_lost: {
    name: 'media_edge_nodes_lost_total',
    type: 'counter',
    help: 'Media node instances dropped, by reason (node_lost, node_shutdown).',
    label: 'reason',
  },
  placements: {
    name: 'media_edge_placements_total',
    type: 'counter',
    help: 'Placement decisions, by result (ok or the error code).',
    label: 'result',
  },
  scrape_unreachable: {
    name: 'media_edge_metrics_unreachable_objects',
    type: 'gauge',
    help: 'Durable Objects that did not answer this scrape in time.',
  },
} as const satisfies Record<string, MetricDefinition>;

export interface MetricDefinition {
  name: string;
  type: 'counter' | 'gauge';
  help: string;
  label?: string;
}

export type MetricKey = keyof typeof EDGE_METRICS;

/** One value of one metric (label value '' when the metric has no label). */
export interface MetricSample {
  metric: MetricKey;
  label: string;
  value: number;
}

export function isMetricKey(name: string): name is MetricKey {
  return Object.hasOwn(EDGE_METRICS, name);
}
