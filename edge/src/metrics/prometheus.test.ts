import { describe, expect, it } from 'vitest';
import { encodeLabels, LATENCY_BUCKETS_SECONDS } from './definitions.ts';
import { renderPrometheus } from './prometheus.ts';

const SAMPLE_LINE =
  /^(# (HELP|TYPE) media_edge_\w+ .+|media_edge_\w+(\{\w+="[^"]*"(,\w+="[^"]*")*\})? [\d.e+-]+)$/;

describe('prometheus rendering', () => {
  it('sums samples per label, prints every metric, with HELP and TYPE', () => {
    const text = renderPrometheus([
      { metric: 'sessions_created', label: '', value: 2 },
      { metric: 'sessions_created', label: '', value: 3 },
      { metric: 'sessions_failed', label: 'node_lost', value: 1 },
      { metric: 'sessions_failed', label: 'idle', value: 4 },
      { metric: 'sessions_active', label: '10', value: 1 },
      { metric: 'sessions_active', label: '2', value: 7 },
    ]);
    expect(text).toContain(
      '# TYPE media_edge_sessions_created_total counter\nmedia_edge_sessions_created_total 5\n',
    );
    expect(text).toMatch(/^media_edge_sessions_failed_total\{reason="idle"\} 4$/m);
    expect(text).toMatch(/^media_edge_sessions_failed_total\{reason="node_lost"\} 1$/m);
    expect(text).toContain(
      'media_edge_sessions_active{shard="2"} 7\nmedia_edge_sessions_active{shard="10"} 1',
    );
    expect(text).toMatch(/^media_edge_heartbeats_total 0$/m);
    for (const line of text.trim().split('\n')) expect(line).toMatch(SAMPLE_LINE);
  });

  it('prints declared label values as 0 before they happen, so rate() sees the first one', () => {
    const text = renderPrometheus([]);
    expect(text).toMatch(/^media_edge_nodes_lost_total\{reason="node_lost"\} 0$/m);
    expect(text).toMatch(/^media_edge_nodes_lost_total\{reason="node_shutdown"\} 0$/m);
    expect(text).toMatch(/^media_edge_sessions_failed_total\{reason="ice_failed"\} 0$/m);
    expect(text).toMatch(/^media_edge_sessions_closed_total\{reason="closed_by_client"\} 0$/m);
    expect(text).not.toMatch(/^media_edge_sessions_failed_total\{reason="closed_by_client"\}/m);
  });

  it('prints several labels and escapes their values', () => {
    const text = renderPrometheus([
      { metric: 'http_requests', label: encodeLabels(['GET', '/a/:id', '200']), value: 3 },
      { metric: 'http_requests', label: encodeLabels(['POST', '/q"\\\n', '5xx']), value: 1 },
    ]);
    expect(text).toMatch(
      /^media_edge_http_requests_total\{method="GET",route="\/a\/:id",status="200"\} 3$/m,
    );
    expect(text).toContain(
      'media_edge_http_requests_total{method="POST",route="/q\\"\\\\\\n",status="5xx"} 1',
    );
  });

  it('renders histograms cumulatively, summed across objects, with _sum and _count', () => {
    const label = encodeLabels(['GET', '/healthz']);
    const counts = (at: Record<number, number>) =>
      Array.from({ length: LATENCY_BUCKETS_SECONDS.length + 1 }, (_, i) => at[i] ?? 0);
    const text = renderPrometheus([
      { metric: 'http_duration', label, counts: counts({ 0: 2, 3: 1 }), sum: 0.06 },
      { metric: 'http_duration', label, counts: counts({ 11: 1 }), sum: 12 },
    ]);
    const series = '{method="GET",route="/healthz"';
    expect(text).toContain(`media_edge_http_duration_seconds_bucket${series},le="0.005"} 2\n`);
    expect(text).toContain(`media_edge_http_duration_seconds_bucket${series},le="0.025"} 2\n`);
    expect(text).toContain(`media_edge_http_duration_seconds_bucket${series},le="0.05"} 3\n`);
    expect(text).toContain(`media_edge_http_duration_seconds_bucket${series},le="10"} 3\n`);
    expect(text).toContain(`media_edge_http_duration_seconds_bucket${series},le="+Inf"} 4\n`);
    expect(text).toContain(`media_edge_http_duration_seconds_sum${series}} 12.06\n`);
    expect(text).toContain(`media_edge_http_duration_seconds_count${series}} 4\n`);
    expect(text).toContain('# TYPE media_edge_http_duration_seconds histogram');
  });
});
