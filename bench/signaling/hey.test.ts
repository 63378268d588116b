import { describe, expect, it } from 'vitest';
import { parseHey } from './hey.ts';

const SAMPLE = `
Summary:
  Total:	2.0311 secs
  Slowest:	0.1862 secs
  Fastest:	0.0021 secs
  Average:	0.0197 secs
  Requests/sec:	4923.4120

Latency distribution:
  10% in 0.0101 secs
  50% in 0.0171 secs
  99% in 0.0703 secs

Status code distribution:
  [200]	9990 responses
  [429]	10 responses
`;

describe('hey output', () => {
  it('reads req/s, p50/p99 in ms and the status counts', () => {
    expect(parseHey(SAMPLE)).toEqual({
      reqPerSec: 4923.412,
      p50Ms: 17.1,
      p99Ms: 70.3,
      statuses: { '200': 9990, '429': 10 },
      totalSeconds: 2.0311,
    });
  });
});
