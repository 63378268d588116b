import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMetrics, sampleValue } from '../../test/support/prometheus.ts';
import { pump, TestClient } from './helpers/test-client.ts';
import { eventually, startTestNode, type TestNode } from './helpers/test-node.ts';

describe('/metrics', () => {
  let t: TestNode;
  beforeAll(async () => {
    t = await startTestNode();
  });
  afterAll(async () => {
    await t.close();
  });

  it('exposes every contract metric, parsed by a real exposition parser, with bounded labels', async () => {
    const client = new TestClient(t, 'metrics-1', 4, { echo: true, deviceId: 'web-5f2a9c' });
    await client.join();
    const other = new TestClient(t, 'metrics-2', 5, {
      echo: true,
      deviceId: 'a7c1e2b9-raw-uuid-like',
    });
    await other.join();
    const stop = pump([client]);
    await eventually(() => client.count(4, 'video') > 5);
    stop();

    const res = await fetch(`${t.node.url}/metrics`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    expect(res.headers.get('content-type')).toContain('version=0.0.4');
    const m = parseMetrics(await res.text());
    const expected: Record<string, string> = {
      media_active_sessions: 'gauge',
      media_sessions_created_total: 'counter',
      media_ice_connections_total: 'counter',
      media_session_setup_seconds: 'histogram',
      media_http_requests_total: 'counter',
      media_http_duration_seconds: 'histogram',
      media_ice_candidates_rejected_total: 'counter',
      media_rooms_active: 'gauge',
      media_rtp_packets_total: 'counter',
      media_rtp_bytes_total: 'counter',
      media_draining: 'gauge',
      media_drain_sessions_remaining: 'gauge',
      media_drain_forced_closes_total: 'counter',
      media_room_top_participants: 'gauge',
      media_bandwidth_estimate_bps: 'histogram',
      process_cpu_user_seconds_total: 'counter',
      nodejs_eventloop_lag_seconds: 'gauge',
      process_resident_memory_bytes: 'gauge',
    };
    for (const [name, type] of Object.entries(expected)) {
      expect(m.get(name)?.type, name).toBe(type);
    }
    for (const family of m.values()) {
      for (const sample of family.samples)
        expect(sample.labels.node_id, sample.name).toBe('test-node');
    }
    expect(sampleValue(m, 'media_active_sessions')).toBe(2);
    expect(sampleValue(m, 'media_rooms_active')).toBe(2);
    expect(sampleValue(m, 'media_draining')).toBe(0);
    expect(sampleValue(m, 'media_ice_connections_total', { result: 'connected' })).toBe(2);
    expect(sampleValue(m, 'media_ice_connections_total', { result: 'failed' })).toBe(0);
    // Two rooms of one participant each: ranks 1 and 2, the rest 0; no room name as a label.
    const ranks = m
      .get('media_room_top_participants')
      ?.samples.map((s) => [s.labels.rank, s.value]);
    expect(ranks).toEqual([
      ['1', 1],
      ['2', 1],
      ['3', 0],
      ['4', 0],
      ['5', 0],
    ]);
    // The raw device id never becomes a label value.
    const classes = m
      .get('media_sessions_created_total')
      ?.samples.map((s) => s.labels.device_class);
    expect(classes?.sort()).toEqual(['other', 'web']);
    expect(sampleValue(m, 'media_session_setup_seconds_count')).toBe(2);
    const les = m
      .get('media_session_setup_seconds')
      ?.samples.map((s) => s.labels.le)
      .filter(Boolean);
    expect(les).toEqual([
      '0.01',
      '0.025',
      '0.05',
      '0.1',
      '0.25',
      '0.5',
      '1',
      '2.5',
      '5',
      '10',
      '+Inf',
    ]);
    expect(sampleValue(m, 'media_rtp_packets_total', { direction: 'in' })).toBeGreaterThan(10);
    expect(sampleValue(m, 'media_rtp_packets_total', { direction: 'out' })).toBeGreaterThan(10);
    expect(sampleValue(m, 'media_rtp_bytes_total', { direction: 'out' })).toBeGreaterThan(5_000);
    // Routes are patterns, never raw session ids.
    const routes = new Set(m.get('media_http_requests_total')?.samples.map((s) => s.labels.route));
    expect(routes).toContain('/internal/v1/sessions/:id/offer');
    for (const route of routes) expect(route).not.toContain('metrics-1');
    expect(
      sampleValue(m, 'media_http_requests_total', {
        route: '/internal/v1/sessions/:id/offer',
        status: '200',
      }),
    ).toBe(2);

    // Counters only grow: a second scrape folds the new RTP on top.
    const before = sampleValue(m, 'media_rtp_packets_total', { direction: 'in' });
    const stop2 = pump([client]);
    await new Promise((r) => setTimeout(r, 200));
    stop2();
    const m2 = parseMetrics(await (await fetch(`${t.node.url}/metrics`)).text());
    expect(sampleValue(m2, 'media_rtp_packets_total', { direction: 'in' })).toBeGreaterThan(before);

    await client.close();
    await other.close();
  });

  it('serves probes without signatures', async () => {
    expect((await fetch(`${t.node.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${t.node.url}/readyz`)).status).toBe(200);
  });
});
