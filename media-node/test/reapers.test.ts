import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseMetrics, sampleValue } from '../../test/support/prometheus.ts';
import { pump, TestClient } from './helpers/test-client.ts';
import { eventually, startTestNode, type TestNode } from './helpers/test-node.ts';

/**
 * Open handles of this process, without TCP sockets: those are keep-alive connections of the
 * test's own fetch and of the node's edge pool (bounded, reused), not session resources.
 */
function resources(): string[] {
  return process
    .getActiveResourcesInfo()
    .filter((r) => r !== 'TCPSocketWrap')
    .sort();
}

describe('reapers and cleanup', () => {
  let t: TestNode;
  beforeAll(async () => {
    t = await startTestNode({ CONNECT_TIMEOUT_MS: '400', IDLE_TIMEOUT_MS: '600' });
  });
  afterAll(async () => {
    await t.close();
  });

  const metrics = async () => parseMetrics(await (await fetch(`${t.node.url}/metrics`)).text());

  it('reaps a session that never connects with connect_timeout', async () => {
    const client = new TestClient(t, 'never', 1);
    await client.pc.setLocalDescription(await client.pc.createOffer());
    const res = await t.api.request('POST', '/internal/v1/sessions/never/offer', {
      room: 'r-never',
      deviceId: 'web-never',
      echo: false,
      sdp: client.pc.localDescription?.sdp,
    });
    expect(res.status).toBe(200);
    // The client never applies the answer, so ICE never starts.
    const failed = await t.edge.waitForEvent(
      (e) => e.sessionId === 'never' && e.type === 'state' && e.state === 'failed',
      3_000,
    );
    expect(failed).toMatchObject({ reason: 'connect_timeout' });
    await t.edge.waitForEvent(
      (e) => e.sessionId === 'never' && e.type === 'closed' && e.reason === 'connect_timeout',
    );
    expect((await t.api.request('GET', '/internal/v1/sessions/never')).status).toBe(404);
    const m = await metrics();
    expect(sampleValue(m, 'media_ice_connections_total', { result: 'timeout' })).toBe(1);
    expect(sampleValue(m, 'media_active_sessions')).toBe(0);
    await client.close();
  });

  it('keeps a session with media alive and reaps it once idle', async () => {
    const client = new TestClient(t, 'idler', 2, { echo: true });
    await client.join();
    const stop = pump([client]);
    await new Promise((r) => setTimeout(r, 1_200)); // twice the idle timeout, with media
    expect((await t.api.request('GET', '/internal/v1/sessions/idler')).json.state).toBe(
      'connected',
    );
    stop();
    const failed = await t.edge.waitForEvent(
      (e) => e.sessionId === 'idler' && e.type === 'state' && e.state === 'failed',
      3_000,
    );
    expect(failed).toMatchObject({ reason: 'idle' });
    await client.close();
  });
});

describe('cleanup', () => {
  let t: TestNode;
  beforeAll(async () => {
    t = await startTestNode();
  });
  afterAll(async () => {
    await t.close();
  });

  const metrics = async () => parseMetrics(await (await fetch(`${t.node.url}/metrics`)).text());

  it('returns media_active_sessions to 0 and open handles to baseline after sessions close', async () => {
    // Warm-up round: the first session opens lazily created, long-lived resources (keep-alive
    // sockets to the edge, prom-client's observers) that are part of the baseline.
    const warm = new TestClient(t, 'warm', 9, { echo: true });
    await warm.join();
    await t.api.request('DELETE', '/internal/v1/sessions/warm');
    await warm.close();
    await eventually(() => t.node.sessions.sessionCount === 0);
    await new Promise((r) => setTimeout(r, 3_000)); // werift finishes closing transports
    const baseline = resources();

    const clients = ['h1', 'h2', 'h3'].map(
      (id, i) => new TestClient(t, id, 10 + i, { room: 'handles', deviceId: `web-${id}` }),
    );
    for (const c of clients) await c.join();
    const stop = pump(clients);
    await eventually(
      () => clients.every((c) => clients.every((o) => o === c || c.count(o.marker, 'video') > 0)),
      10_000,
      'media flowing',
    );
    stop();
    expect(sampleValue(await metrics(), 'media_active_sessions')).toBe(3);
    expect(resources().filter((r) => r === 'UDPWrap').length).toBeGreaterThan(
      baseline.filter((r) => r === 'UDPWrap').length,
    );

    for (const c of clients)
      expect((await t.api.request('DELETE', `/internal/v1/sessions/${c.sessionId}`)).status).toBe(
        204,
      );
    for (const c of clients) await c.close();
    const m = await metrics();
    expect(sampleValue(m, 'media_active_sessions')).toBe(0);
    expect(sampleValue(m, 'media_rooms_active')).toBe(0);
    await eventually(
      () => JSON.stringify(resources()) === JSON.stringify(baseline),
      8_000,
      'handles back to baseline',
    ).catch((error: Error) => {
      throw new Error(
        `${error.message}: baseline ${baseline.join(',')}, now ${resources().join(',')}`,
      );
    });
  });
});
