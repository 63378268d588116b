/**
 * Attacks on trust between clients, the edge and the media nodes, on the real stack (workerd +
 * two media nodes, as `npm start` runs them). Issue 12, items 4, 5, 8, 10 and 11: each case is
 * what a hostile party did to the stack before, and must now be refused.
 */
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { signToken } from '../edge/src/auth/token.ts';
import type { Child } from '../scripts/stack/child.ts';
import { ROOT } from '../scripts/stack/stack.ts';
import { waitHttpOk } from '../scripts/stack/wait.ts';
import { startWorkerdEdge } from '../scripts/stack/workerd-edge.ts';
import { API_BASE } from '../shared/api.ts';
import type { Heartbeat } from '../shared/internal.ts';
import { INTERNAL_BASE } from '../shared/internal.ts';
import { deriveNodeKey, fromNode, signRequest, toNode } from '../shared/signing.ts';
import { startTestStack, type TestStack } from './support/stack.ts';

const HEARTBEAT = `${INTERNAL_BASE}/nodes/heartbeat`;
let stack: TestStack;
let edge: Child | undefined;
let restartedEdge: Child | undefined;

beforeAll(async () => {
  stack = await startTestStack({
    onChild: (child) => {
      if (child.name === 'edge') edge = child;
    },
  });
});

afterEach(async (context) => {
  if (context.task.result?.state === 'fail') console.error(await stack.logTail());
});

afterAll(async () => {
  await restartedEdge?.stop('SIGTERM', 5_000);
  await stack?.teardown();
});

/** A POST signed by `signer` (its own key) with `body`, sent to the edge. */
async function asNode(signer: string, path: string, body: unknown, now?: number) {
  const text = JSON.stringify(body);
  const key = await deriveNodeKey(stack.secrets.node, signer);
  const headers = await signRequest(
    key,
    { method: 'POST', path, body: text, party: fromNode(signer) },
    now,
  );
  return {
    text,
    headers,
    send: () =>
      fetch(stack.edgeUrl + path, {
        method: 'POST',
        body: text,
        headers: { ...headers, 'content-type': 'application/json' },
      }),
  };
}

function heartbeatOf(nodeId: string, over: Partial<Heartbeat> = {}): Heartbeat {
  const node = stack.nodes.find((n) => n.id === nodeId);
  return {
    nodeId,
    url: node?.url ?? 'http://127.0.0.1:9',
    region: 'local',
    state: 'ready',
    startedAt: 1,
    load: { sessions: 0, rooms: 0, maxSessions: 500, eventLoopLagMs: 0 },
    ...over,
  };
}

async function listNodes(): Promise<Array<{ id: string; url: string; startedAt: string }>> {
  const res = await fetch(`${stack.edgeUrl}${API_BASE}/nodes`, {
    headers: { authorization: `Bearer ${await stack.token({ device: 'ops', admin: true })}` },
  });
  return ((await res.json()) as { nodes: Array<{ id: string; url: string; startedAt: string }> })
    .nodes;
}

async function nodeIds(): Promise<string[]> {
  return (await listNodes()).map((n) => n.id);
}

describe('one node key, one node (item 10)', () => {
  it('a leaked node key cannot register another node, nor its own at a URL outside NODE_URL_ALLOW', async () => {
    const [a, b] = stack.nodes.map((n) => n.id) as [string, string];
    const forged = await (await asNode(a, HEARTBEAT, heartbeatOf(b))).send();
    expect(forged.status).toBe(401);
    // Its own id, pointed at an address of the forger's choosing (SSRF / SDP capture).
    const ssrf = await (
      await asNode(a, HEARTBEAT, heartbeatOf(a, { url: 'http://203.0.113.9:30006' }))
    ).send();
    expect(ssrf.status).toBe(403);
    expect(await ssrf.json()).toMatchObject({ error: { code: 'forbidden', field: 'url' } });
    expect((await listNodes()).find((n) => n.id === a)?.url).toBe(stack.nodes[0]?.url);
  });

  it("a forged event batch claiming another node's id cannot fail a session there", async () => {
    const api = await stack.api('victim-device');
    const session = await api.createSession({});
    const victimNode = session.node.id;
    const other = stack.nodes.find((n) => n.id !== victimNode)?.id ?? 'x';
    const batch = {
      nodeId: victimNode,
      events: [{ sessionId: session.sessionId, type: 'closed', reason: 'ice_failed' }],
    };
    expect((await (await asNode(other, `${INTERNAL_BASE}/events`, batch)).send()).status).toBe(401);
    // Signed correctly by the other node as itself: ignored (not that node's session).
    const own = { ...batch, nodeId: other };
    expect((await (await asNode(other, `${INTERNAL_BASE}/events`, own)).send()).status).toBe(204);
    expect((await api.getSession(session.sessionId)).state).toBe('new');
  });
});

describe('replays (item 11)', () => {
  it('an edge -> node request signed for one node is refused by the other', async () => {
    const [a, b] = stack.nodes as [(typeof stack.nodes)[0], (typeof stack.nodes)[0]];
    const path = `${INTERNAL_BASE}/sessions/${'0'.repeat(32)}`;
    const headers = await signRequest(await deriveNodeKey(stack.secrets.node, a.id), {
      method: 'GET',
      path,
      body: '',
      party: toNode(a.id),
    });
    expect((await fetch(b.url + path, { headers })).status).toBe(401);
    // The same headers on their own node pass the signature (the session is unknown: 404).
    expect((await fetch(a.url + path, { headers })).status).toBe(404);
  });

  it('a captured heartbeat is refused again after a workerd restart', async () => {
    const a = stack.nodes[0]?.id ?? '';
    // A heartbeat as node a sends it (its real startedAt and URL), captured on the wire: the
    // edge accepts it once, being newer than a's last one.
    const registered = (await listNodes()).find((n) => n.id === a);
    const startedAt = Date.parse(registered?.startedAt ?? '');
    const captured = await asNode(a, HEARTBEAT, heartbeatOf(a, { startedAt }));
    expect((await captured.send()).status).toBe(200);
    if (!edge) throw new Error('no edge child');
    await edge.stop('SIGTERM', 5_000);
    const port = Number(new URL(stack.edgeUrl).port);
    restartedEdge = await startWorkerdEdge({
      root: ROOT,
      host: '127.0.0.1',
      port,
      distDir: inject('edgeDist'),
      workDir: stack.workDir,
      log: { file: join(stack.workDir, 'edge-restarted.log') },
    });
    await waitHttpOk(`${stack.edgeUrl}/healthz`, { timeoutMs: 30_000 });
    // ...and still refused by the restarted edge: the floor is in storage, not in memory.
    const replay = await captured.send();
    expect(replay.status).toBe(401);
    expect(await replay.json()).toMatchObject({ error: { message: /replayed/ } });
    await expect.poll(nodeIds, { timeout: 15_000 }).toContain(a);
  });
});

describe('clients (items 4, 5, 8)', () => {
  it('one device flooding gets 429 rate_limited with Retry-After; another device is served', async () => {
    const token = await stack.token({ device: 'flooder' });
    // Creates with an invalid room: refused with 400 once past the limiter, so the flood costs
    // no node and no session (the device cap cannot be what answers).
    const create = (t: string) =>
      fetch(`${stack.edgeUrl}${API_BASE}/sessions`, {
        method: 'POST',
        headers: { authorization: `Bearer ${t}`, 'content-type': 'application/json' },
        body: JSON.stringify({ room: 7 }),
      });
    // 200 at once: more than the write burst (100) plus what refills (20/s) while they run.
    const replies = await Promise.all(Array.from({ length: 200 }, () => create(token)));
    const statuses = replies.map((r) => r.status);
    expect(statuses.filter((s) => s === 400).length).toBeGreaterThanOrEqual(100);
    const limited = replies.find((r) => r.status === 429);
    expect(limited).toBeDefined();
    expect(Number(limited?.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(await limited?.json()).toMatchObject({ error: { code: 'rate_limited' } });
    expect((await create(await stack.token({ device: 'bystander' }))).status).toBe(400);
  });

  it("refuses a room named after another session's private room", async () => {
    const victim = await (await stack.api('private-victim')).createSession({});
    const res = await fetch(`${stack.edgeUrl}${API_BASE}/sessions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${await stack.token({ device: 'intruder' })}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ room: victim.room }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_request', field: 'room' } });
  });

  it('refuses a 100-year token and accepts one issued 5 s in the future', async () => {
    const list = async (t: string) =>
      (
        await fetch(`${stack.edgeUrl}${API_BASE}/sessions`, {
          headers: { authorization: `Bearer ${t}` },
        })
      ).status;
    expect(
      await list(await stack.token({ device: 'ancient', ttlSeconds: 100 * 365 * 86_400 })),
    ).toBe(401);
    const ahead = await signToken(stack.secrets.jwt, {
      device: 'skewed',
      ttlSeconds: 600,
      nowSeconds: Math.floor(Date.now() / 1000) + 5,
    });
    expect(await list(ahead)).toBe(200);
  });
});
