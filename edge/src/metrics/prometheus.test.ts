import { describe, expect, it } from 'vitest';
import { renderPrometheus } from './prometheus.ts';

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
    expect(text).toContain(
      'media_edge_sessions_failed_total{reason="idle"} 4\nmedia_edge_sessions_failed_total{reason="node_lost"} 1',
    );
    expect(text).toContain(
      'media_edge_sessions_active{shard="2"} 7\nmedia_edge_sessions_active{shard="10"} 1',
    );
    expect(text).toMatch(/^media_edge_heartbeats_total 0$/m);
    for (const line of text.trim().split('\n')) {
      expect(line).toMatch(
        /^(# (HELP|TYPE) media_edge_\w+ .+|media_edge_\w+(\{\w+="[^"]*"\})? \d+)$/,
      );
    }
  });
});
