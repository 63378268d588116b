import { describe, expect, it } from 'vitest';
import { parseScrape } from './node-under-test.ts';

const BASE = [
  '# HELP nodejs_eventloop_lag_p99_seconds The 99th percentile of the recorded event loop delays.',
  'nodejs_eventloop_lag_p99_seconds{node_id="n"} 0.025',
  'nodejs_eventloop_lag_max_seconds{node_id="n"} 0.1',
  'nodejs_heap_size_used_bytes{node_id="n"} 52428800',
  'media_rtp_packets_total{direction="in",node_id="n"} 10',
  'media_rtp_packets_total{direction="out",node_id="n"} 990',
];

describe('node scrape', () => {
  it('reads packets, heap and the main thread lag without workers', () => {
    const s = parseScrape(BASE.join('\n'));
    expect(s.packetsOut).toBe(990);
    expect(s.heapUsedBytes).toBe(52_428_800);
    expect(s.workers).toBe(0);
    expect(s.lagP99Ms).toBeCloseTo(25);
    expect(s.lagMaxMs).toBeCloseTo(100);
  });

  it('takes the worst worker lag when the node exports per-worker gauges', () => {
    const s = parseScrape(
      [
        ...BASE,
        'media_worker_event_loop_lag_p99_seconds{node_id="n",worker="0"} 0.004',
        'media_worker_event_loop_lag_p99_seconds{node_id="n",worker="1"} 0.3',
        'media_worker_sessions{node_id="n",worker="0"} 152',
        'media_worker_sessions{node_id="n",worker="1"} 151',
        'media_worker_cpu_ratio{node_id="n",worker="1"} 0.25',
      ].join('\n'),
    );
    expect(s.workers).toBe(2);
    expect(s.lagP99Ms).toBeCloseTo(300);
    expect(s.mainLagP99Ms).toBeCloseTo(25);
    expect(s.workerLagP99Ms).toEqual({ '0': 4, '1': 300 });
    expect(s.workerSessions).toEqual({ '0': 152, '1': 151 });
    expect(s.workerCpu).toEqual({ '1': 0.25 });
  });
});
