import { describe, expect, it } from 'vitest';
import { parseWrk, wrkDurationMs } from './wrk.ts';

const REPORT = `Running 6s test @ http://127.0.0.1:1/do
  1 threads and 100 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    12.10ms    3.20ms  95.30ms   90.00%
    Req/Sec     8.30k   500.00     9.00k    70.00%
  Latency Distribution
     50%   11.50ms
     75%   13.00ms
     90%   15.20ms
     99%   30.10ms
  49800 requests in 6.00s, 7.00MB read
  Non-2xx or 3xx responses: 3
Requests/sec:   8300.12
Transfer/sec:      1.17MB
`;

describe('wrk report', () => {
  it('reads throughput, percentiles, max and non-2xx', () => {
    expect(parseWrk(REPORT)).toEqual({
      reqPerSec: 8300.12,
      latencyMs: { p50: 11.5, p90: 15.2, p99: 30.1, max: 95.3 },
      non2xx: 3,
    });
  });
  it('converts its duration units', () => {
    expect(wrkDurationMs('850.00us')).toBeCloseTo(0.85);
    expect(wrkDurationMs('1.02s')).toBe(1020);
    expect(wrkDurationMs('x')).toBeNaN();
  });
});

describe('edge warnings in the workerd log', async () => {
  const { countWarnings } = await import('./edge-warnings.ts');
  it('counts warn and error lines by event and reason', () => {
    const log = [
      '{"level":"info","event":"request","status":204}',
      '{"level":"warn","event":"node_call_failed","why":"timeout"}',
      'prefix {"level":"warn","event":"node_call_failed","why":"timeout"}',
      '{"level":"error","event":"unhandled"}',
      'workerd/io: warning: not json "level":"warn" {',
    ].join('\n');
    expect(countWarnings(log)).toEqual({
      'warn node_call_failed (timeout)': 2,
      'error unhandled': 1,
    });
  });
});
