import { describe, expect, it } from 'vitest';
import { countBy } from './memory/inspector.ts';
import { selectBenchmarks } from './run.ts';
import { actionOf } from './signaling/fake-node.ts';
import { roundRobin } from './signaling/load-spec.ts';

describe('bench runner', () => {
  const all = [{ name: 'signaling' }, { name: 'setup' }, { name: 'memory' }];
  it('selects with --only, in the runner order', () => {
    expect(selectBenchmarks(all, undefined)).toEqual(all);
    expect(selectBenchmarks(all, 'memory,signaling').map((b) => b.name)).toEqual([
      'signaling',
      'memory',
    ]);
  });
  it('names unknown benchmarks', () => {
    expect(() => selectBenchmarks(all, 'signalling')).toThrow('signalling');
  });
});

describe('benchmark helpers', () => {
  it('rotates paths round-robin', () => {
    const next = roundRobin(['a', 'b']);
    expect([next(), next(), next()]).toEqual(['a', 'b', 'a']);
    expect(() => roundRobin([])).toThrow();
  });
  it('maps internal API paths to actions', () => {
    expect(actionOf('POST', '/internal/v1/sessions/s1/offer')).toBe('POST /offer');
    expect(actionOf('DELETE', '/internal/v1/sessions/s1?reason=closed_by_client')).toBe('DELETE /');
    expect(actionOf('GET', '/internal/v1/rooms/r1')).toBe('GET /room');
    expect(actionOf('GET', '/metrics')).toBe('GET ?');
  });
  it('counts handle types', () => {
    expect(countBy(['UDPWrap', 'Timeout', 'UDPWrap'])).toEqual({ UDPWrap: 2, Timeout: 1 });
  });
});
