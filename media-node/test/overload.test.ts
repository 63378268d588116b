/**
 * Overload control (rtc/load-guard.ts). Admission: while the node's loop is late or busy, new
 * sessions get 503 capacity_exceeded with Retry-After (the existing sessions keep the CPU); once
 * the loop is on time again they are accepted. Shedding: a loop saturated window after window
 * closes the newest sessions with node_overloaded and keeps the older ones.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoopbackPeer } from '../../test/support/loopback-peer.ts';
import { SHED_AFTER_WINDOWS } from '../src/rtc/load-guard.ts';
import { SessionRegistry } from '../src/rtc/session-registry.ts';
import { TestClient } from './helpers/test-client.ts';
import { eventually, startTestNode, type TestNode } from './helpers/test-node.ts';

/** Keeps the (shared, in-process) event loop busy in 150 ms slices for `ms`. */
async function starve(ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const slice = Date.now() + 150;
    while (Date.now() < slice) {
      // busy: the node's timers run late, like a saturated forwarding loop
    }
    await new Promise((r) => setImmediate(r));
  }
}

describe('overload admission', () => {
  let t: TestNode;
  const clients: TestClient[] = [];
  beforeAll(async () => {
    // Sessions on this thread, so that starving it starves them (worker-pool.test.ts covers a
    // late worker).
    t = await startTestNode({ OVERLOAD_LAG_MS: '60', WORKERS: '0' });
  });
  const overloaded = () => {
    if (!(t.node.sessions instanceof SessionRegistry)) throw new Error('expected WORKERS=0');
    return t.node.sessions.load.overloaded;
  };
  afterAll(async () => {
    for (const c of clients) await c.close();
    await t.close();
  });

  it('refuses new sessions with 503 capacity_exceeded while the event loop is late', async () => {
    const peer = createLoopbackPeer();
    peer.addTransceiver('audio', { direction: 'sendrecv' });
    const offer = await peer.createOffer();
    await peer.close();
    await starve(2_300);
    expect(overloaded()).toBe(true);
    const res = await t.api.request('POST', '/internal/v1/sessions/late/offer', {
      room: 'r',
      deviceId: 'test-late',
      echo: false,
      sdp: offer.sdp,
    });
    expect(res.status).toBe(503);
    expect(res.json.error).toMatchObject({ code: 'capacity_exceeded', lagLimitMs: 60 });
    expect(res.json.error.eventLoopLagMs).toBeGreaterThan(60);
    expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
    const metrics = await (await fetch(`${t.node.url}/metrics`)).text();
    expect(metrics).toMatch(/media_overload_refusals_total\{[^}]*\} 1/);

    // On time again: accepted.
    await eventually(() => !overloaded(), 5_000, 'load back to normal');
    const client = new TestClient(t, 'after', 1, { room: 'r' });
    clients.push(client);
    await client.join();
  });

  it('sheds the newest sessions with node_overloaded once saturated, keeping the older ones', async () => {
    const old = new TestClient(t, 'old', 2, { room: 'shed' });
    const young = new TestClient(t, 'young', 3, { room: 'shed' });
    clients.push(old, young);
    await old.join();
    await young.join();
    const registry = t.node.sessions;
    if (!(registry instanceof SessionRegistry)) throw new Error('expected WORKERS=0');
    const before = registry.sessionCount;
    // Saturated windows in a row, as the guard's timer would record them (one is not enough).
    for (let i = 0; i < SHED_AFTER_WINDOWS; i++) {
      expect(registry.sessionCount).toBe(before);
      registry.load.record({ utilization: 1, lagP99Ms: 30, cpu: 1 });
    }
    await t.edge.waitForEvent(
      (e) => e.sessionId === 'young' && e.type === 'closed' && e.reason === 'node_overloaded',
      5_000,
      'young shed',
    );
    expect(t.edge.eventsFor('young')).toContainEqual({
      sessionId: 'young',
      type: 'state',
      state: 'failed',
      reason: 'node_overloaded',
    });
    expect(registry.sessionCount).toBe(before - 1);
    const oldView = await t.api.request('GET', '/internal/v1/sessions/old');
    expect(oldView.json.state).toBe('connected');
    const metrics = await (await fetch(`${t.node.url}/metrics`)).text();
    expect(metrics).toMatch(/media_overload_shed_sessions_total\{[^}]*\} 1/);
  });
});
