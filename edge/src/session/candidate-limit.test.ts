import { describe, expect, it } from 'vitest';
import { admitCandidates, countCandidates } from './candidate-limit.ts';

const c = (n: number) => Array.from({ length: n }, (_, i) => ({ candidate: `candidate:${i}` }));

describe('ICE candidate cap', () => {
  it('admits up to the limit exactly', () => {
    expect(admitCandidates(0, c(50), 50)).toEqual({ ok: true, counted: 50, total: 50 });
    expect(admitCandidates(49, c(1), 50)).toEqual({ ok: true, counted: 1, total: 50 });
  });

  it('refuses a request that would pass the limit as a whole', () => {
    expect(admitCandidates(50, c(1), 50)).toEqual({ ok: false, limit: 50, accepted: 50 });
    expect(admitCandidates(45, c(10), 50)).toEqual({ ok: false, limit: 50, accepted: 45 });
  });

  it('counts end-of-candidates markers like any entry (they bypassed the cap before)', () => {
    expect(countCandidates([{ candidate: '' }, ...c(2)])).toBe(3);
    expect(admitCandidates(49, [{ candidate: '' }], 50)).toEqual({
      ok: true,
      counted: 1,
      total: 50,
    });
    expect(admitCandidates(50, [{ candidate: '' }], 50)).toEqual({
      ok: false,
      limit: 50,
      accepted: 50,
    });
  });
});
