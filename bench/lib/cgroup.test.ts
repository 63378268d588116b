import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { cfsQuotaUs, createCpuLimit, parseCpuStat, throttleDelta } from './cgroup.ts';

describe('CPU quota (cgroup)', () => {
  it('turns cores into a CFS quota per period', () => {
    expect(cfsQuotaUs({ cores: 0.35, periodUs: 10_000 })).toBe(3_500);
    expect(cfsQuotaUs({ cores: 1.5, periodUs: 100_000 })).toBe(150_000);
  });

  it('refuses what the kernel would refuse, naming the fix', () => {
    expect(() => cfsQuotaUs({ cores: 0.05, periodUs: 10_000 })).toThrow('longer period');
    expect(() => cfsQuotaUs({ cores: 0, periodUs: 10_000 })).toThrow('positive');
    expect(() => cfsQuotaUs({ cores: 0.5, periodUs: 500 })).toThrow('period');
  });

  it('gives what the counters grew by over a window, and nothing without both readings', () => {
    const before = { periods: 100, throttledPeriods: 40, throttledSeconds: 0.5 };
    const after = { periods: 300, throttledPeriods: 190, throttledSeconds: 1.75 };
    expect(throttleDelta(before, after)).toEqual({
      periods: 200,
      throttledPeriods: 150,
      throttledSeconds: 1.25,
    });
    expect(throttleDelta(undefined, after)).toBeUndefined();
    expect(throttleDelta(before, undefined)).toBeUndefined();
  });

  it('reads the throttling counters of cpu.stat', () => {
    const text = 'nr_periods 200\nnr_throttled 150\nthrottled_time 1234000000\nnr_bursts 0\n';
    expect(parseCpuStat(text)).toEqual({
      periods: 200,
      throttledPeriods: 150,
      throttledSeconds: 1.234,
    });
  });

  describe('without a usable cgroup hierarchy', () => {
    let root = '';
    afterEach(() => rmSync(root, { recursive: true, force: true }));

    it('runs unlimited and says why when there is no cpu controller', () => {
      root = mkdtempSync(join(tmpdir(), 'cg-'));
      const limit = createCpuLimit('x', { cores: 0.35, periodUs: 10_000 }, root);
      expect(limit.applied).toBe(false);
      expect(limit.reason).toContain('no cgroup v1 cpu controller');
      expect(limit.attach(123)).toBe(false);
      limit.remove();
    });

    it('says why when the cgroup cannot be created', () => {
      root = mkdtempSync(join(tmpdir(), 'cg-'));
      writeFileSync(join(root, 'cpu.cfs_quota_us'), '-1');
      mkdirSync(join(root, 'taken'));
      writeFileSync(join(root, 'taken', 'x'), '');
      const limit = createCpuLimit('taken', { cores: 0.35, periodUs: 10_000 }, root);
      expect(limit.applied).toBe(false);
      expect(limit.reason).toContain('cannot set up');
    });
  });
});
