import { describe, expect, it } from 'vitest';
import { runFloorPath } from './floor-path.ts';

describe('forwarding floor', () => {
  it('forwards every packet to every subscriber and goes on past the listed steps', async () => {
    const lines: string[] = [];
    const result = await runFloorPath({
      publishers: 2,
      steps: [1, 3],
      warmupMs: 300,
      measureMs: 600,
      nodeCore: undefined,
      cpuQuota: undefined,
      maxStep: 5,
      log: (l) => lines.push(l),
    });
    if (!result) throw new Error(`floor not built: ${lines.join('\n')}`);
    // 1, 3, then 3 x 1.5 = 5 (rounded), the limit: none of these loses on any machine.
    expect(result.rows.map((r) => r.subscribers)).toEqual([1, 3, 5]);
    for (const r of result.rows) {
      expect(r.lossPct).toBeLessThan(1);
      // 2 publishers x 100 pkt/s fanned out to every subscriber.
      expect(r.deliveredPps).toBeGreaterThan(150 * r.subscribers);
      expect(r.deliveredPps).toBeLessThan(250 * r.subscribers);
      expect(r.nodeCpu).toBeGreaterThanOrEqual(0);
    }
    expect(result.sustainable.step).toBe(5);
  }, 120_000);
});
