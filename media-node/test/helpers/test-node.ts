/** An in-process media node wired to a fake edge, for tests. */
import { pino } from 'pino';
import { expect } from 'vitest';
import { type FakeEdge, startFakeEdge } from '../../../test/support/fake-edge.ts';
import { type MetricFamily, parseMetrics } from '../../../test/support/prometheus.ts';
import { createMediaNode, type MediaNode } from '../../src/app.ts';
import { loadConfig } from '../../src/config.ts';
import { type NodeApi, nodeApi } from './node-api.ts';

export const TEST_SECRET = 'test-node-secret-0123456789';

export interface TestNode {
  node: MediaNode;
  edge: FakeEdge;
  api: NodeApi;
  close(): Promise<void>;
}

export async function startTestNode(env: Record<string, string> = {}): Promise<TestNode> {
  const edge = await startFakeEdge(TEST_SECRET);
  const config = loadConfig({
    PORT: '0',
    NODE_ID: 'test-node',
    EDGE_URL: edge.url,
    NODE_SHARED_SECRET: TEST_SECRET,
    HEARTBEAT_INTERVAL_MS: '1000',
    // Closing a test node with live sessions should not wait the production 30 s.
    DRAIN_TIMEOUT_MS: '500',
    // `FORWARDER=stock npx vitest ...` runs every in-process test on the stock path (FAST_SEND too).
    ...(process.env.FORWARDER ? { FORWARDER: process.env.FORWARDER } : {}),
    ...(process.env.FAST_SEND ? { FAST_SEND: process.env.FAST_SEND } : {}),
    // Sessions on the test's own thread unless `WORKERS=2 npx vitest ...` (worker threads are
    // covered by worker-pool.test.ts and by every cross-service test, which run the default).
    WORKERS: process.env.WORKERS ?? '0',
    ...env,
  });
  const node = createMediaNode(config, pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }));
  await node.start();
  return {
    node,
    edge,
    api: nodeApi(node.url, TEST_SECRET, config.nodeId),
    async close() {
      await node.shutdown();
      await edge.close();
    },
  };
}

/** Polls `check` until it returns true or `timeoutMs` passes. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The node's /metrics, parsed (asserting a 200). */
export async function scrape(t: TestNode): Promise<Map<string, MetricFamily>> {
  const res = await fetch(`${t.node.url}/metrics`);
  expect(res.status).toBe(200);
  return parseMetrics(await res.text());
}

/** A remote host candidate, distinct per `i`. */
export function hostCandidate(i: number) {
  return {
    candidate: `candidate:${i} 1 udp 2122260223 127.0.0.1 ${40000 + i} typ host`,
    sdpMid: '0',
    sdpMLineIndex: 0,
  };
}
