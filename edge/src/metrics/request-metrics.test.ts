import { describe, expect, it } from 'vitest';
import { decodeLabels, LATENCY_BUCKETS_SECONDS } from './definitions.ts';
import { bucketIndex, methodLabel, RequestMetrics, statusLabel } from './request-metrics.ts';

describe('request metrics', () => {
  it('keeps labels bounded: unknown methods and statuses collapse', () => {
    expect(methodLabel('get')).toBe('GET');
    expect(methodLabel('PROPFIND')).toBe('other');
    expect(statusLabel(404)).toBe('404');
    expect(statusLabel(418)).toBe('4xx');
    expect(statusLabel(599)).toBe('5xx');
  });

  it('puts a duration in the first bucket that holds it, +Inf past 10 s', () => {
    expect(LATENCY_BUCKETS_SECONDS[0]).toBe(0.005);
    expect(LATENCY_BUCKETS_SECONDS.at(-1)).toBe(10);
    expect(bucketIndex(0)).toBe(0);
    expect(bucketIndex(0.005)).toBe(0);
    expect(bucketIndex(0.0051)).toBe(1);
    expect(bucketIndex(10)).toBe(LATENCY_BUCKETS_SECONDS.length - 1);
    expect(bucketIndex(11)).toBe(LATENCY_BUCKETS_SECONDS.length);
  });

  it('counts by method, route and status; times by method and route; take empties it', () => {
    const m = new RequestMetrics();
    expect(m.take()).toBeNull();
    m.record('GET', '/s/:id', 200, 0.002);
    m.record('GET', '/s/:id', 200, 0.3);
    m.record('GET', '/s/:id', 404, 0.001);
    const batch = m.take();
    expect(m.take()).toBeNull();
    const requests = batch?.requests.map((r) => [...decodeLabels(r.label), r.value]);
    expect(requests).toEqual([
      ['GET', '/s/:id', '200', 2],
      ['GET', '/s/:id', '404', 1],
    ]);
    expect(batch?.durations).toHaveLength(1);
    const d = batch?.durations[0];
    expect(decodeLabels(d?.label ?? '')).toEqual(['GET', '/s/:id']);
    expect(d?.counts[0]).toBe(2);
    expect(d?.counts[bucketIndex(0.3)]).toBe(1);
    expect(d?.counts).toHaveLength(LATENCY_BUCKETS_SECONDS.length + 1);
    expect(d?.sum).toBeCloseTo(0.303, 9);
  });

  it('restores an undelivered batch onto what came after it', () => {
    const m = new RequestMetrics();
    m.record('POST', '/s', 201, 0.02);
    const failed = m.take();
    m.record('POST', '/s', 201, 0.02);
    if (failed) m.restore(failed);
    const batch = m.take();
    expect(batch?.requests[0]?.value).toBe(2);
    expect(batch?.durations[0]?.counts[bucketIndex(0.02)]).toBe(2);
    expect(batch?.durations[0]?.sum).toBeCloseTo(0.04, 9);
  });
});
