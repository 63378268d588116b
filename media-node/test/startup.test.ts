/**
 * The node process around start-up and drain (issue 12, items 12 and 13): `/readyz` is not 200
 * before the worker threads are up, a SIGTERM in that window still ends in a clean, logged stop,
 * and a drain says what it is waiting for.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeEdge, startFakeEdge } from '../../test/support/fake-edge.ts';
import { freePorts } from '../../test/support/free-port.ts';
import { nodeApi } from './helpers/node-api.ts';
import { type NodeProcess, spawnNode } from './helpers/node-process.ts';
import { TestClient } from './helpers/test-client.ts';
import { TEST_SECRET } from './helpers/test-node.ts';

describe('media-node process: start-up and drain', () => {
  const cleanup: Array<() => unknown> = [];
  afterEach(async () => {
    for (const fn of cleanup.splice(0).reverse()) await fn();
  });

  async function spawn(env: Record<string, string>): Promise<{
    proc: NodeProcess;
    edge: FakeEdge;
    url: string;
  }> {
    const edge = await startFakeEdge(TEST_SECRET);
    cleanup.push(() => edge.close());
    const [port] = await freePorts(1);
    const proc = spawnNode({
      PORT: String(port),
      NODE_ID: 'startup-node',
      EDGE_URL: edge.url,
      NODE_SHARED_SECRET: TEST_SECRET,
      WORKERS: '2',
      ...env,
    });
    cleanup.push(() => proc.kill());
    return { proc, edge, url: `http://127.0.0.1:${port}` };
  }

  /** Polls `/readyz` every few ms until it answers; returns the first answer. */
  async function firstReadyz(
    url: string,
    proc: NodeProcess,
  ): Promise<{ status: number; body: unknown }> {
    for (;;) {
      if (proc.child.exitCode !== null) throw new Error(`node exited: ${proc.stderr()}`);
      const res = await fetch(`${url}/readyz`).catch(() => undefined);
      if (res) return { status: res.status, body: await res.json() };
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  it('answers /readyz 503 starting until the worker threads are up', async () => {
    const { proc, url } = await spawn({});
    const first = await firstReadyz(url, proc);
    expect(first).toEqual({ status: 503, body: { ready: false, reason: 'starting' } });
    await proc.waitForLog('started');
    expect(proc.logs.some((l) => l.msg === 'workers_started')).toBe(true);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
  });

  it('ends a SIGTERM right after /readyz first answered in a clean, logged stop', async () => {
    const { proc, url } = await spawn({});
    await firstReadyz(url, proc);
    proc.child.kill('SIGTERM');
    const exit = await proc.exited;
    expect(proc.logs.map((l) => l.msg)).not.toContain('start_failed');
    expect(proc.logs.some((l) => l.msg === 'stopped')).toBe(true);
    expect(exit.code).toBe(0);
  });

  it('logs what a drain is waiting for while it waits', async () => {
    const { proc, edge, url } = await spawn({ DRAIN_TIMEOUT_MS: '6000', WORKERS: '0' });
    await proc.waitForLog('started');
    const client = new TestClient(
      { api: nodeApi(url, TEST_SECRET, 'startup-node'), edge },
      'stays',
      1,
      {
        echo: true,
        room: 'drain-room',
      },
    );
    cleanup.push(() => client.close());
    await client.join();
    proc.child.kill('SIGTERM');
    const waiting = await proc.waitForLog('draining_wait', 7_000);
    expect(waiting).toMatchObject({ sessions: 1, rooms: 1 });
    expect(waiting.remainingMs).toBeGreaterThan(0);
    await proc.waitForLog('stopped', 10_000);
  }, 30_000);
});
