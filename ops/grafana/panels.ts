/**
 * The panels of the Grafana dashboard, as data: `build-dashboard.ts` turns them into the
 * importable JSON, and test/prometheus.test.ts runs every query against a real Prometheus.
 * Queries avoid Grafana-only macros ($__rate_interval) so they run unchanged in Prometheus.
 */
export interface PanelQuery {
  expr: string;
  legend: string;
}

export interface Panel {
  title: string;
  description: string;
  unit: string;
  kind: 'timeseries' | 'stat';
  queries: PanelQuery[];
}

/**
 * A rate of rare events (5xx) has no series until the first one: fall back to the same grouping
 * of all requests times 0, so the panel shows 0 per route instead of "no data".
 */
function orZero(expr: string, by: string, metric = 'media_http_requests_total'): string {
  const base = by ? `sum by (${by}) ` : 'sum ';
  return `${expr} or ${base}(rate(${metric}[5m])) * 0`;
}

export const panels: Panel[] = [
  {
    title: 'Active sessions',
    description: 'Sessions open on all media nodes now (media_active_sessions).',
    unit: 'short',
    kind: 'stat',
    queries: [{ expr: 'sum(media_active_sessions)', legend: 'sessions' }],
  },
  {
    title: 'Sessions created per second',
    description: 'Rate of new sessions by device class (bounded label).',
    unit: 'reqps',
    kind: 'timeseries',
    queries: [
      {
        expr: 'sum by (device_class) (rate(media_sessions_created_total[5m]))',
        legend: '{{device_class}}',
      },
    ],
  },
  {
    title: 'ICE success rate',
    description: 'Share of ICE attempts that connect (vs failed and timeout).',
    unit: 'percentunit',
    kind: 'stat',
    queries: [
      {
        expr: 'sum(rate(media_ice_connections_total{result="connected"}[5m])) / clamp_min(sum(rate(media_ice_connections_total[5m])), 1e-9)',
        legend: 'success',
      },
    ],
  },
  {
    title: 'ICE results by outcome',
    description: 'ICE attempts per second on the media nodes: connected, failed, timeout.',
    unit: 'ops',
    kind: 'timeseries',
    queries: [
      { expr: 'sum by (result) (rate(media_ice_connections_total[5m]))', legend: '{{result}}' },
    ],
  },
  {
    title: 'Session setup p50 / p99',
    description: 'Offer received -> connected on the media node.',
    unit: 's',
    kind: 'timeseries',
    queries: [
      {
        expr: 'histogram_quantile(0.5, sum by (le) (rate(media_session_setup_seconds_bucket[5m])))',
        legend: 'p50',
      },
      {
        expr: 'histogram_quantile(0.99, sum by (le) (rate(media_session_setup_seconds_bucket[5m])))',
        legend: 'p99',
      },
    ],
  },
  {
    title: 'Node API p99 by route',
    description: 'Latency of the internal API of the media nodes, per route pattern.',
    unit: 's',
    kind: 'timeseries',
    queries: [
      {
        expr: 'histogram_quantile(0.99, sum by (le, route) (rate(media_http_duration_seconds_bucket[5m])))',
        legend: '{{route}}',
      },
    ],
  },
  {
    title: 'Node API 5xx per second by route',
    description: 'Server errors of the internal API (0 when there are none).',
    unit: 'reqps',
    kind: 'timeseries',
    queries: [
      {
        expr: orZero(
          'sum by (route) (rate(media_http_requests_total{status=~"5.."}[5m]))',
          'route',
        ),
        legend: '{{route}}',
      },
    ],
  },
  {
    title: 'RTP packets per second',
    description: 'Media packets received (in) and forwarded (out) by all nodes.',
    unit: 'pps',
    kind: 'timeseries',
    queries: [
      { expr: 'sum by (direction) (rate(media_rtp_packets_total[1m]))', legend: '{{direction}}' },
    ],
  },
  {
    title: 'RTP bytes per second',
    description: 'Media bytes received (in) and forwarded (out) by all nodes.',
    unit: 'Bps',
    kind: 'timeseries',
    queries: [
      { expr: 'sum by (direction) (rate(media_rtp_bytes_total[1m]))', legend: '{{direction}}' },
    ],
  },
  {
    title: 'Media loss p95 (in / out)',
    description:
      'Share of RTP packets lost per stream and second, 95th percentile over all streams: in = publishers to nodes (sequence gaps), out = nodes to subscribers (their receiver reports). Per-session figures: GET /api/media/sessions/:id (stats).',
    unit: 'percentunit',
    kind: 'timeseries',
    queries: [
      {
        expr: 'histogram_quantile(0.95, sum by (le, direction) (rate(media_stream_loss_ratio_bucket[5m])))',
        legend: 'loss p95 {{direction}}',
      },
    ],
  },
  {
    title: 'Media jitter and round trip p95',
    description:
      'Interarrival jitter per stream (in: measured by the node, out: reported by subscribers) and the node-client round trip from receiver reports, 95th percentiles.',
    unit: 's',
    kind: 'timeseries',
    queries: [
      {
        expr: 'histogram_quantile(0.95, sum by (le, direction) (rate(media_stream_jitter_seconds_bucket[5m])))',
        legend: 'jitter p95 {{direction}}',
      },
      {
        expr: 'histogram_quantile(0.95, sum by (le) (rate(media_rtt_seconds_bucket[5m])))',
        legend: 'rtt p95',
      },
    ],
  },
  {
    title: 'Stream bitrate p50 by kind',
    description:
      'RTP payload bitrate per stream (streams with packets in the second), median by direction and kind: a drop in video out with steady video in means subscribers get less than is published.',
    unit: 'bps',
    kind: 'timeseries',
    queries: [
      {
        expr: 'histogram_quantile(0.5, sum by (le, direction, kind) (rate(media_stream_bitrate_bps_bucket[5m])))',
        legend: '{{direction}} {{kind}}',
      },
    ],
  },
  {
    title: 'Draining nodes',
    description:
      '1 while a node drains before shutdown (should last at most DRAIN_TIMEOUT_MS), the sessions it still holds, and sessions it had to close at the deadline.',
    unit: 'short',
    kind: 'timeseries',
    queries: [
      { expr: 'max by (instance) (media_draining)', legend: '{{instance}} draining' },
      {
        expr: 'max by (instance) (media_drain_sessions_remaining)',
        legend: '{{instance}} sessions left',
      },
      {
        expr: 'sum by (instance) (increase(media_drain_forced_closes_total[1h]))',
        legend: '{{instance}} forced closes (1h)',
      },
    ],
  },
  {
    title: 'Load per node',
    description: 'Sessions and rooms on each media node.',
    unit: 'short',
    kind: 'timeseries',
    queries: [
      { expr: 'sum by (instance) (media_active_sessions)', legend: '{{instance}} sessions' },
      { expr: 'sum by (instance) (media_rooms_active)', legend: '{{instance}} rooms' },
    ],
  },
  {
    title: 'Largest rooms',
    description:
      'Participants of the largest rooms of each node, by rank (top-K gauge: no room names as labels; look a room up with GET /api/media/rooms/:room).',
    unit: 'short',
    kind: 'timeseries',
    queries: [
      {
        expr: 'topk(5, max by (instance, rank) (media_room_top_participants))',
        legend: '{{instance}} #{{rank}}',
      },
    ],
  },
  {
    title: 'Event-loop lag p99',
    description:
      'Event-loop delay of each forwarding worker thread and of the main thread (API, edge link); media stutters when a worker climbs.',
    unit: 's',
    kind: 'timeseries',
    queries: [
      {
        expr: 'max by (instance, worker) (media_worker_event_loop_lag_p99_seconds{job="media-nodes"})',
        legend: '{{instance}} worker {{worker}}',
      },
      {
        expr: 'max by (instance) (nodejs_eventloop_lag_p99_seconds{job="media-nodes"})',
        legend: '{{instance}} main',
      },
    ],
  },
  {
    title: 'Worker CPU',
    description:
      'Busy fraction of each forwarding worker thread (one per core); a room is pinned to one worker, so one hot worker is one big room.',
    unit: 'percentunit',
    kind: 'timeseries',
    queries: [
      {
        expr: 'max by (instance, worker) (media_worker_cpu_ratio{job="media-nodes"})',
        legend: '{{instance}} worker {{worker}}',
      },
    ],
  },
  {
    title: 'Memory per node',
    description: 'Resident set size and used heap of each media node.',
    unit: 'bytes',
    kind: 'timeseries',
    queries: [
      {
        expr: 'max by (instance) (process_resident_memory_bytes{job="media-nodes"})',
        legend: '{{instance}} rss',
      },
      {
        expr: 'max by (instance) (nodejs_heap_size_used_bytes{job="media-nodes"})',
        legend: '{{instance}} heap',
      },
    ],
  },
  {
    title: 'Edge requests per second by route',
    description: 'Requests the edge Worker served, per route pattern (all isolates).',
    unit: 'reqps',
    kind: 'timeseries',
    queries: [
      {
        expr: 'sum by (route) (rate(media_edge_http_requests_total[5m]))',
        legend: '{{route}}',
      },
    ],
  },
  {
    title: 'Edge API p99 by route',
    description: 'Latency of the edge Worker per route pattern (node calls included).',
    unit: 's',
    kind: 'timeseries',
    queries: [
      {
        expr: 'histogram_quantile(0.99, sum by (le, route) (rate(media_edge_http_duration_seconds_bucket[5m])))',
        legend: '{{route}}',
      },
    ],
  },
  {
    title: 'Edge 5xx per second by route',
    description: 'Server errors of the edge (0 when there are none).',
    unit: 'reqps',
    kind: 'timeseries',
    queries: [
      {
        expr: orZero(
          'sum by (route) (rate(media_edge_http_requests_total{status=~"5.."}[5m]))',
          'route',
          'media_edge_http_requests_total',
        ),
        legend: '{{route}}',
      },
    ],
  },
  {
    title: 'Edge sessions per shard',
    description: 'Sessions not yet ended, per session shard (Durable Object).',
    unit: 'short',
    kind: 'timeseries',
    queries: [{ expr: 'sum by (shard) (media_edge_sessions_active)', legend: 'shard {{shard}}' }],
  },
  {
    title: 'Edge sessions created and failed',
    description: 'Sessions created per second, and failed ones by reason.',
    unit: 'ops',
    kind: 'timeseries',
    queries: [
      { expr: 'sum(rate(media_edge_sessions_created_total[5m]))', legend: 'created' },
      {
        expr: 'sum by (reason) (rate(media_edge_sessions_failed_total[5m]))',
        legend: 'failed {{reason}}',
      },
    ],
  },
  {
    title: 'ICE candidates rejected',
    description: 'Client candidates refused by the per-session limit, at the edge and on nodes.',
    unit: 'ops',
    kind: 'timeseries',
    queries: [
      { expr: 'sum(rate(media_edge_ice_candidates_rejected_total[5m]))', legend: 'edge' },
      { expr: 'sum(rate(media_ice_candidates_rejected_total[5m]))', legend: 'nodes' },
    ],
  },
  {
    title: 'Event sockets',
    description: 'Event WebSockets open now, and those closed because the client fell behind.',
    unit: 'short',
    kind: 'timeseries',
    queries: [
      { expr: 'sum(media_edge_websockets_open)', legend: 'open' },
      {
        expr: 'sum(increase(media_edge_websockets_slow_closed_total[5m]))',
        legend: 'slow consumers closed (5m)',
      },
    ],
  },
  {
    title: 'Placements and node losses',
    description:
      'Placements per second by match (region: the nearest node; nearest: the next nearest, the nearest being full or draining; fallback: no location, by load), refusals by code, calls into the one registry object by operation (creates should cause almost none), registered nodes by state, and media node instances lost in the last hour by reason.',
    unit: 'short',
    kind: 'timeseries',
    queries: [
      {
        expr: 'sum by (match) (rate(media_edge_placements_total[5m]))',
        legend: 'placements {{match}}',
      },
      {
        expr: 'sum by (code) (rate(media_edge_placements_refused_total[5m]))',
        legend: 'refused {{code}}',
      },
      {
        expr: 'sum by (op) (rate(media_edge_registry_calls_total[5m]))',
        legend: 'registry {{op}}',
      },
      { expr: 'sum by (state) (media_edge_nodes)', legend: 'nodes {{state}}' },
      {
        expr: 'sum by (reason) (increase(media_edge_nodes_lost_total[1h]))',
        legend: 'lost {{reason}} (1h)',
      },
    ],
  },
  {
    title: 'Webhook deliveries',
    description:
      'Webhook deliveries per second: delivered (a receiver answered 2xx), retried (an attempt failed and is scheduled again with backoff), failed by reason (given up: expired past WEBHOOK_RETRY_FOR_MS, gone: the receiver answered 410, queue_full, disabled, unconfigured), and hand-offs retried (a shard, placer or the registry could not reach a dispatcher; the event waits in its outbox, nothing is lost).',
    unit: 'ops',
    kind: 'timeseries',
    queries: [
      { expr: 'sum(rate(media_edge_webhooks_delivered_total[5m]))', legend: 'delivered' },
      { expr: 'sum(rate(media_edge_webhooks_retried_total[5m]))', legend: 'retried' },
      {
        expr: 'sum by (reason) (rate(media_edge_webhooks_failed_total[5m]))',
        legend: 'failed {{reason}}',
      },
      {
        expr: 'sum(rate(media_edge_webhooks_handoff_retried_total[5m]))',
        legend: 'hand-off retried',
      },
    ],
  },
  {
    title: 'Webhook queue',
    description:
      'Deliveries queued in the dispatcher objects (not yet delivered) and the age of the oldest one: a receiver that is down shows as a growing age (its events wait in order behind the oldest). 0 while webhooks are off (no dispatcher is scraped).',
    unit: 'short',
    kind: 'timeseries',
    queries: [
      {
        expr: 'sum(media_edge_webhooks_queue_depth) or sum(media_edge_webhooks_delivered_total) * 0',
        legend: 'queued',
      },
      {
        expr: 'max(media_edge_webhooks_oldest_age_seconds) or sum(media_edge_webhooks_delivered_total) * 0',
        legend: 'oldest age (s)',
      },
    ],
  },
];
