import { describe, expect, it } from 'vitest';
import { seeded as rng } from '../../media-node/src/bwe/link-sim.ts';
import { DEFAULT_CONFIG, nodesPerRegion, type SimConfig, simulate } from './simulator.ts';
import { REGIONS } from './world.ts';

const small: SimConfig = { ...DEFAULT_CONFIG, nodes: 200, joins: 40_000, maxSessionsPerNode: 100 };

describe('placement simulator', () => {
  it('spreads nodes over every region by demand, at least the minimum each', () => {
    const counts = nodesPerRegion(1_000, 10);
    expect(counts).toHaveLength(REGIONS.length);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(1_000);
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(10);
    // Tokyo's region serves more people than Stockholm's.
    const at = (region: string) => counts[REGIONS.findIndex((r) => r.region === region)] ?? 0;
    expect(at('jp-east')).toBeGreaterThan(at('eu-north'));
    expect(() => nodesPerRegion(100, 10)).toThrow('cannot give 10');
  });

  it('is reproducible from its seed', () => {
    const a = rng(7);
    const b = rng(7);
    expect([a(), a(), a()]).toEqual([b(), b(), b()]);
    expect(simulate('geo', small)).toEqual(simulate('geo', small));
  });

  it('places every join of a roomy world, nearer with the geographic rule', () => {
    const geo = simulate('geo', small);
    const anywhere = simulate('least-loaded', small);
    for (const r of [geo, anywhere]) {
      expect(r.joins).toBe(small.joins);
      expect(r.placed + r.refused.capacity_exceeded + r.refused.draining).toBe(small.joins);
    }
    expect(geo.firstMemberKm.p50).toBeLessThan(anywhere.firstMemberKm.p50 / 3);
    expect(geo.match.fallback ?? 0).toBe(0);
    expect(anywhere.match.fallback ?? 0).toBeGreaterThan(0);
    expect(anywhere.match.region ?? 0).toBe(0);
  });

  it('moves the rooms of failed nodes and refuses joins where capacity runs out', () => {
    const failing: SimConfig = { ...small, failures: [{ at: 0.5, share: 0.2 }] };
    const r = simulate('geo', failing);
    expect(r.failover.nodesFailed).toBe(40);
    expect(r.failover.sessionsAffected).toBeGreaterThan(0);
    expect(r.failover.sessionsReplaced + r.failover.sessionsRefused).toBe(
      r.failover.sessionsAffected,
    );
    const crowded = simulate('geo', { ...small, utilization: 2 });
    expect(crowded.refused.capacity_exceeded).toBeGreaterThan(0);
    expect(crowded.loadSpread.samples).toBeGreaterThan(0);
  });
});
