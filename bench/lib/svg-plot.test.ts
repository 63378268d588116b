import { describe, expect, it } from 'vitest';
import { lineChart, logTicks, niceTicks } from './svg-plot.ts';

describe('svg plot', () => {
  it('picks 1-2-5 ticks covering the range', () => {
    expect(niceTicks(0, 100)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(0, 7)).toEqual([0, 2, 4, 6, 8]);
    expect(niceTicks(3, 3)).toEqual([3]);
  });

  it('picks log ticks from below the least to above the greatest value', () => {
    expect(logTicks(30_000, 450_000)).toEqual([20_000, 50_000, 100_000, 200_000, 500_000]);
    expect(logTicks(1, 1)).toEqual([1]);
  });

  it('draws one path per series with a point per finite value, and a legend entry each', () => {
    const svg = lineChart({
      title: 'T <1>',
      xLabel: 'x',
      yLabel: 'y',
      series: [
        {
          name: 'a',
          points: [
            [0, 1],
            [10, 2],
            [20, Number.NaN],
          ],
        },
        { name: 'b', points: [[0, 3]] },
      ],
    });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<path /g)).toHaveLength(2);
    expect(svg.match(/<circle /g)).toHaveLength(3);
    expect(svg).toContain('>a</text>');
    expect(svg).toContain('<title>T &lt;1&gt;</title>');
  });

  it('leaves non-positive values out of a log axis', () => {
    const svg = lineChart({
      title: 't',
      xLabel: 'x',
      yLabel: 'y',
      yLog: true,
      series: [
        {
          name: 'a',
          points: [
            [0, 0],
            [1, 100],
            [2, 1_000],
          ],
        },
      ],
    });
    expect(svg.match(/<circle /g)).toHaveLength(2);
  });
});
