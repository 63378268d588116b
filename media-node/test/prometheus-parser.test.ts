import { describe, expect, it } from 'vitest';
import { parseMetrics, sampleValue } from '../../test/support/prometheus.ts';

describe('test exposition parser', () => {
  it('keeps labelled histogram series apart and unescapes label values', () => {
    const m = parseMetrics(
      [
        '# HELP h_seconds A "histogram"\\nwith escapes',
        '# TYPE h_seconds histogram',
        'h_seconds_bucket{k="a",le="1"} 1',
        'h_seconds_bucket{k="a",le="+Inf"} 2',
        'h_seconds_sum{k="a"} 3.5',
        'h_seconds_count{k="a"} 2',
        'h_seconds_bucket{k="b\\"q\\\\",le="1"} 0',
        'h_seconds_bucket{k="b\\"q\\\\",le="+Inf"} 0',
        'h_seconds_sum{k="b\\"q\\\\"} 0',
        'h_seconds_count{k="b\\"q\\\\"} 0',
        '# TYPE c_total counter',
        'c_total 1e3 1700000000000',
      ].join('\n'),
    );
    expect(m.get('h_seconds')?.help).toBe('A "histogram"\nwith escapes');
    expect(sampleValue(m, 'h_seconds_count', { k: 'a' })).toBe(2);
    expect(sampleValue(m, 'h_seconds_sum', { k: 'b"q\\' })).toBe(0);
    expect(m.get('h_seconds')?.samples).toHaveLength(8);
    expect(sampleValue(m, 'c_total')).toBe(1000);
  });

  it('reads NaN and Inf in any letter case, as Prometheus does (prom-client writes Nan)', () => {
    const m = parseMetrics('# TYPE g gauge\ng{a="1"} Nan\ng{a="2"} +inf\ng{a="3"} -Inf');
    expect(sampleValue(m, 'g', { a: '1' })).toBeNaN();
    expect(sampleValue(m, 'g', { a: '2' })).toBe(Number.POSITIVE_INFINITY);
    expect(sampleValue(m, 'g', { a: '3' })).toBe(Number.NEGATIVE_INFINITY);
  });

  it.each([
    ['bad value', 'x 1.2.3'],
    ['a word that is not NaN or Inf', 'x nope'],
    ['unquoted label', 'x{a=b} 1'],
    ['split family', '# TYPE x gauge\nx 1\ny 1\nx{a="1"} 2'],
    ['TYPE after samples', 'x 1\n# TYPE x gauge'],
    ['bucket without +Inf', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_count 1'],
    [
      'decreasing buckets',
      '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_count 1',
    ],
  ])('rejects %s', (_, text) => {
    expect(() => parseMetrics(text)).toThrow();
  });
});
