/**
 * A node given a committed development secret outside local development (the shipped
 * Containerfile sets NODE_ENV=production) must not serve: one clear log line, `/readyz` 503,
 * signed calls refused with 503 misconfigured, and no registration with the edge.
 */
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeEdge } from '../../test/support/fake-edge.ts';
import { createMediaNode, type MediaNode } from '../src/app.ts';
import { loadConfig } from '../src/config.ts';
import { nodeApi } from './helpers/node-api.ts';

const DEV_MASTER = 'change-me-to-the-wrangler-secret-value';

describe('a node with the committed development secret and NODE_ENV=production', () => {
  let node: MediaNode;
  let edge: Awaited<ReturnType<typeof startFakeEdge>>;
  const lines: Array<{ msg?: string; why?: string; level?: number }> = [];

  beforeAll(async () => {
    edge = await startFakeEdge(DEV_MASTER);
    const config = loadConfig({
      NODE_ENV: 'production',
      PORT: '0',
      NODE_ID: 'prod-node',
      EDGE_URL: edge.url,
      NODE_SHARED_SECRET: DEV_MASTER,
      HEARTBEAT_INTERVAL_MS: '100',
      WORKERS: '0',
    });
    const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    node = createMediaNode(config, log);
    await node.start();
  });
  afterAll(async () => {
    await node?.shutdown();
    await edge?.close();
  });

  it('logs one clear line, fails /readyz, refuses signed calls and never registers', async () => {
    const logged = lines.filter((l) => l.msg === 'node_misconfigured');
    expect(logged).toHaveLength(1);
    expect(logged[0]?.why).toMatch(/NODE_SHARED_SECRET is a committed development value/);
    const ready = await fetch(`${node.url}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ ready: false, reason: 'misconfigured' });
    const signed = await nodeApi(node.url, DEV_MASTER, 'prod-node').request(
      'GET',
      '/internal/v1/sessions/x',
    );
    expect(signed.status).toBe(503);
    expect(signed.json.error.code).toBe('misconfigured');
    await new Promise((r) => setTimeout(r, 400)); // four heartbeat intervals
    expect(edge.heartbeats).toHaveLength(0);
    expect((await fetch(`${node.url}/healthz`)).status).toBe(200);
  });
});
