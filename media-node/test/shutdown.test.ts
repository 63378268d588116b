import { afterEach, describe, expect, it } from 'vitest';
import { type FakeEdge, startFakeEdge } from '../../test/support/fake-edge.ts';
import { nodeApi } from './helpers/node-api.ts';
import { type NodeProcess, spawnNode } from './helpers/node-process.ts';
import { pump, TestClient } from './helpers/test-client.ts';
import { TEST_SECRET } from './helpers/test-node.ts';

describe('media-node process: graceful shutdown', () => {
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function start(
    env: Record<string, string>,
  ): Promise<{ proc: NodeProcess; edge: FakeEdge; url: string }> {
    const edge = await startFakeEdge(TEST_SECRET);
    cleanup.push(() => edge.close());
    const proc = spawnNode({
      PORT: '0',
      NODE_ID: 'proc-node',
      EDGE_URL: edge.url,
      NODE_SHARED_SECRET: TEST_SECRET,
      HEARTBEAT_INTERVAL_MS: '500',
      ...env,
    });
    cleanup.push(() => proc.kill());
    const started = await proc.waitForLog('started');
    return { proc, edge, url: started.url as string };
  }

  it('drains on SIGTERM: refuses new sessions, lets sessions end, closes the rest with node_shutdown, exits 0', async () => {
    const drainMs = 1_500;
    const { proc, edge, url } = await start({ DRAIN_TIMEOUT_MS: String(drainMs) });
    const target = { api: nodeApi(url, TEST_SECRET, 'proc-node'), edge };
    const clients = ['s1', 's2', 's3'].map(
      (id, i) => new TestClient(target, id, i + 1, { echo: true }),
    );
    cleanup.push(async () => {
      for (const c of clients) await c.close();
    });
    for (const c of clients) await c.join();
    const stop = pump(clients);
    cleanup.push(stop);
    await edge.waitForHeartbeat((h) => h.state === 'ready' && h.load.sessions === 3);

    const signalledAt = performance.now();
    proc.child.kill('SIGTERM');
    await edge.waitForHeartbeat((h) => h.state === 'draining', 2_000);
    expect((await fetch(`${url}/readyz`)).status).toBe(503);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/^media_draining\{node_id="proc-node"\} 1$/m);
    const refused = await target.api.request('POST', '/internal/v1/sessions/late/offer', {
      room: 'r',
      deviceId: 'web-late',
      echo: true,
      sdp: clients[0]?.pc.localDescription?.sdp,
    });
    expect(refused.status).toBe(503);
    expect(refused.json.error.code).toBe('draining');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    // Running sessions keep going, and may end by themselves during the drain.
    expect(
      (await target.api.request('DELETE', '/internal/v1/sessions/s1?reason=closed_by_client'))
        .status,
    ).toBe(204);

    const exit = await proc.exited;
    const tookMs = exit.at - signalledAt;
    expect(exit.code).toBe(0);
    expect(tookMs).toBeGreaterThanOrEqual(drainMs - 100);
    expect(tookMs).toBeLessThan(drainMs + 3_000);
    for (const id of ['s2', 's3']) {
      expect(edge.eventsFor(id).slice(-2)).toEqual([
        { sessionId: id, type: 'state', state: 'failed', reason: 'node_shutdown' },
        { sessionId: id, type: 'closed', reason: 'node_shutdown' },
      ]);
    }
    expect(edge.eventsFor('s1').at(-1)).toEqual({
      sessionId: 's1',
      type: 'closed',
      reason: 'closed_by_client',
    });
    expect(edge.heartbeats.at(-1)?.state).toBe('stopped');
    expect(proc.logs.find((l) => l.msg === 'shutting_down')).toMatchObject({
      sessions: 3,
      drainTimeoutMs: drainMs,
    });
    expect(proc.logs.find((l) => l.msg === 'stopped')).toMatchObject({
      sessionsAtStart: 3,
      endedDuringDrain: 1,
      forcedCloses: 2,
    });
  });

  it('exits at once on a second signal', async () => {
    const { proc, edge, url } = await start({ DRAIN_TIMEOUT_MS: '30000' });
    const client = new TestClient(
      { api: nodeApi(url, TEST_SECRET, 'proc-node'), edge },
      'stuck',
      1,
      {
        echo: true,
      },
    );
    cleanup.push(() => client.close());
    await client.join();
    proc.child.kill('SIGTERM');
    await proc.waitForLog('shutting_down');
    const secondAt = performance.now();
    proc.child.kill('SIGINT');
    const exit = await proc.exited;
    expect(exit.at - secondAt).toBeLessThan(1_000);
    expect(exit.code).toBe(1);
    expect(proc.logs.some((l) => l.msg === 'forced_exit')).toBe(true);
  });

  it('refuses to start on an invalid environment, naming the variable and unit', async () => {
    const proc = spawnNode({
      PORT: 'abc',
      CONNECT_TIMEOUT_MS: '5s',
      NODE_SHARED_SECRET: TEST_SECRET,
    });
    cleanup.push(() => proc.kill());
    const exit = await proc.exited;
    expect(exit.code).toBe(1);
    expect(proc.stderr()).toContain('PORT must be an integer number of TCP port');
    expect(proc.stderr()).toContain('CONNECT_TIMEOUT_MS must be an integer number of milliseconds');
  });
});
