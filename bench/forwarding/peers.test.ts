import { describe, expect, it } from 'vitest';
import { deliveredPerCpuS, highestLossless, peerCharts, peerRatios } from './peers.ts';
import type { StepRow } from './run-mode.ts';

const row = (
  path: string,
  subscribers: number,
  deliveredPps: number,
  nodeCpu: number,
  lossPct = 0,
) => ({ path, subscribers, deliveredPps, nodeCpu, lossPct, notReady: 0 }) as StepRow;

describe('peer comparison', () => {
  it('measures delivered packets per CPU-second', () => {
    expect(deliveredPerCpuS(row('x', 10, 4_000, 0.1))).toBeCloseTo(40_000);
    expect(deliveredPerCpuS(row('x', 10, 4_000, 0))).toBeNaN();
  });

  it('takes the highest step with < 1 % loss and every receiver ready', () => {
    const rows = [
      row('a', 10, 1, 1),
      row('a', 50, 1, 1, 0.5),
      row('a', 100, 1, 1, 3),
      { ...row('a', 75, 1, 1), notReady: 2 },
    ];
    expect(highestLossless(rows)?.subscribers).toBe(50);
    expect(highestLossless([row('a', 10, 1, 1, 5)])).toBeUndefined();
  });

  it('compares every media node path with Janus and the floor of the same rows', () => {
    const rows = [
      row('fast-batch', 25, 10_000, 0.2),
      row('fast-batch', 50, 20_000, 0.25),
      row('fast-batch', 100, 30_000, 0.35, 4),
      row('janus', 25, 10_000, 0.25),
      row('janus', 40, 16_000, 0.4),
      row('floor', 300, 120_000, 0.3),
      row('floor', 450, 100_000, 0.35, 20),
    ];
    expect(peerRatios(rows)).toEqual([
      {
        path: 'fast-batch',
        step: 50,
        deliveredPerCpuS: 80_000,
        janusStep: 40,
        janusPerCpuS: 40_000,
        floorStep: 300,
        floorPerCpuS: 400_000,
        vsJanus: 2,
        vsFloor: 0.2,
        commonJanusStep: 25,
        vsJanusAtCommonStep: 1.25,
      },
    ]);
  });

  it('does not count steps whose publishers fell far below their rate', () => {
    const starved = { ...row('fast-batch', 120, 500, 0.05), sentPps: 5 };
    const rows = [row('fast-batch', 40, 16_000, 0.2), starved, row('janus', 40, 16_000, 0.4)];
    expect(highestLossless(rows.slice(0, 2), 200)?.subscribers).toBe(40);
    expect(highestLossless(rows.slice(0, 2))?.subscribers).toBe(120);
    expect(peerRatios(rows, 200)[0]?.vsJanus).toBe(2);
  });

  it('gives NaN ratios when a peer did not run or never was lossless', () => {
    const [r] = peerRatios([row('stock', 10, 4_000, 0.2), row('janus', 10, 1, 1, 50)]);
    expect(r?.vsJanus).toBeNaN();
    expect(r?.vsFloor).toBeNaN();
  });

  it('plots every path of the rows in both figures', () => {
    const charts = peerCharts([row('stock', 10, 4_000, 0.2), row('janus', 10, 4_000, 0.1)], 'n');
    expect(Object.keys(charts).sort()).toEqual([
      'forwarding-loss.svg',
      'forwarding-pkt-per-cpu.svg',
    ]);
    for (const svg of Object.values(charts)) {
      expect(svg).toContain('>stock</text>');
      expect(svg).toContain('>janus</text>');
    }
  });
});
