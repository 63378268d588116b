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

/** `a or on() vector(0)`-style fallback so a rate of rare events shows 0, not "no data". */
function orZero(expr: string, by: string): string {
  const base = by ? `sum by (${by}) ` : 'sum ';
  return `${expr} or ${base}(rate(media_http_requests_total[5m])) * 0`;
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
    title: 'Draining nodes',
    description: '1 while a node drains before shutdown (should last at most DRAIN_TIMEOUT).',
    unit: 'short',
    kind: 'timeseries',
    queries: [{ expr: 'max by (instance) (media_draining)', legend: '{{instance}}' }],
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
    title: 'Event-loop lag p99',
    description: 'Node.js event-loop delay of each media node; media stutters when it climbs.',
    unit: 's',
    kind: 'timeseries',
    queries: [
      {
        expr: 'max by (instance) (nodejs_eventloop_lag_p99_seconds{job="media-nodes"})',
        legend: '{{instance}}',
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
];
