import { runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { SessionEvent } from '../../shared/events.ts';
import { HEARTBEAT_INTERVAL_MS, HEARTBEAT_TIMEOUT_MS } from '../../shared/limits.ts';
import {
  authed,
  call,
  createSession,
  heartbeat,
  heartbeatBody,
  negotiatingSession,
  token,
  uid,
} from './support/edge.ts';
import { directoryAged } from './support/placement.ts';
import { openEvents } from './support/socket.ts';

const load = (sessions: number, maxSessions = 100) => ({
  sessions,
  rooms: 0,
  maxSessions,
  eventLoopLagMs: 1,
});
const registry = () => env.NODE_REGISTRY.getByName('global');

async function eventually(check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('placement', () => {
  it('keeps a whole room on one node and spreads solo sessions by load', async () => {
    const [a, b] = [uid('node'), uid('node')];
    await heartbeat(a, { load: load(10) });
    await heartbeat(b, { load: load(12) });
    // Solo sessions of one device (one placer): a first (10 < 12); each placement counts as one
    // per placer (4 here) until the next heartbeat, so the next goes to b. First, before the
    // room: the room's placer may be this device's placer (random ids), and its reservations
    // would count too.
    const tok = await token(uid('dev'));
    const solo = [];
    for (let i = 0; i < 4; i++) solo.push((await createSession(tok)).node.id);
    expect(solo.slice(0, 2)).toEqual([a, b]);
    expect(new Set(solo)).toEqual(new Set([a, b]));
    const room = uid('room');
    const inRoom = [];
    for (let i = 0; i < 4; i++) {
      inRoom.push((await createSession(await token(uid('dev')), { room })).node.id);
    }
    expect(new Set(inRoom).size).toBe(1);
  });

  it('uses per-worker load when the node reports it', async () => {
    const [a, b] = [uid('node'), uid('node')];
    const workers = (cpu: number) => [
      { id: 0, sessions: 5, rooms: 1, cpu },
      { id: 1, sessions: 5, rooms: 1, cpu },
    ];
    await heartbeat(a, { load: { ...load(10), workers: workers(0.9) } });
    await heartbeat(b, { load: { ...load(10), workers: workers(0.1) } });
    expect((await createSession(await token(uid('dev')))).node.id).toBe(b);
  });

  it('never places on a draining node, and refuses newcomers to a room on one', async () => {
    const [a, b] = [uid('node'), uid('node')];
    await heartbeat(a, { load: load(0) });
    const tok = await token(uid('dev'));
    const room = uid('room');
    expect((await createSession(tok, { room })).node.id).toBe(a);
    await heartbeat(a, { state: 'draining', load: load(0) });
    await heartbeat(b, { load: load(50) });
    await directoryAged();
    expect((await createSession(tok)).node.id).toBe(b);
    const res = await call('/api/media/sessions', authed(tok, 'POST', { room }));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.json()).toMatchObject({ error: { code: 'draining' } });
  });

  it('503 no_media_node when only draining nodes exist, capacity_exceeded when all are full', async () => {
    const tok = await token(uid('dev'));
    await heartbeat(uid('node'), { state: 'draining' });
    let res = await call('/api/media/sessions', authed(tok, 'POST', {}));
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: { code: 'no_media_node' } });
    await heartbeat(uid('node'), { load: load(3, 3) });
    await directoryAged();
    res = await call('/api/media/sessions', authed(tok, 'POST', {}));
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: { code: 'capacity_exceeded' } });
  });
});

describe('node loss', () => {
  it('a node silent for 15 s is dropped and its sessions fail with node_lost on their sockets', async () => {
    const { tok, session, nodeId } = await negotiatingSession();
    const client = await openEvents(session.links.events, tok);
    await client.until((f) => f.length === 1);
    // The registry's alarm is armed by the heartbeat; at its real time nothing is lost yet.
    expect(await runDurableObjectAlarm(registry())).toBe(true);
    expect((await createSession(tok)).node.id).toBe(nodeId);
    const dropped = await runInDurableObject(registry(), (r) =>
      r.sweep(Date.now() + HEARTBEAT_TIMEOUT_MS + 1),
    );
    expect(dropped).toBe(1);
    await client.until((f) => f.some((e) => e.type === 'closed'));
    expect(client.frames.slice(-2)).toMatchObject([
      { type: 'state', state: 'failed', reason: 'node_lost' },
      { type: 'closed', reason: 'node_lost' },
    ]);
    const view = await (await call(session.links.self, authed(tok, 'GET'))).json();
    expect(view).toMatchObject({ state: 'failed', reason: 'node_lost' });
    const res = await call('/api/media/sessions', authed(tok, 'POST', {}));
    expect(await res.json()).toMatchObject({ error: { code: 'no_media_node' } });
  });

  it('arms the registry alarm for the moment the earliest node would turn silent', async () => {
    const nodeId = uid('node');
    const before = Date.now();
    await heartbeat(nodeId);
    const alarm = await runInDurableObject(registry(), async (r, state) => {
      await r.sweep(Date.now()); // re-arms from the stored heartbeats
      return state.storage.getAlarm();
    });
    const nodes = await runInDurableObject(registry(), (r) => r.listNodes());
    const earliest = Math.min(...nodes.map((n) => Date.parse(n.lastSeen)));
    expect(earliest).toBeGreaterThanOrEqual(before - 1);
    expect(alarm).toBe(earliest + HEARTBEAT_TIMEOUT_MS + 1);
  });

  it('with the default settings a killed node is lost, its sessions failed, well within 15 s', async () => {
    // The defaults: wrangler.toml's value is the shared default the nodes heartbeat against.
    expect(Number(env.HEARTBEAT_TIMEOUT_MS)).toBe(HEARTBEAT_TIMEOUT_MS);
    expect(HEARTBEAT_TIMEOUT_MS).toBeGreaterThanOrEqual(3 * HEARTBEAT_INTERVAL_MS);
    const { tok, session } = await negotiatingSession();
    // The node is killed right after this heartbeat: the worst case for detection.
    const nodes = await runInDurableObject(registry(), (r) => r.listNodes());
    const lastSeen = Math.max(...nodes.map((n) => Date.parse(n.lastSeen)));
    const alarm = await runInDurableObject(registry(), async (r, state) => {
      await r.sweep(Date.now());
      return state.storage.getAlarm();
    });
    expect(alarm).not.toBeNull();
    // Declared lost by the alarm at most 10 s after the kill: 5 s left for the fan-out.
    expect((alarm ?? 0) - lastSeen).toBeLessThanOrEqual(10_000);
    expect(await runInDurableObject(registry(), (r) => r.sweep((alarm ?? 0) - 2))).toBe(0);
    expect(await runInDurableObject(registry(), (r) => r.sweep(alarm ?? 0))).toBeGreaterThan(0);
    const view = await (await call(session.links.self, authed(tok, 'GET'))).json();
    expect(view).toMatchObject({ state: 'failed', reason: 'node_lost' });
  });

  it('a heartbeat that reveals a restart only queues the loss: the alarm fans it out', async () => {
    const { nodeId } = await negotiatingSession();
    const queued = await runInDurableObject(registry(), async (r, state) => {
      const hb = heartbeatBody(nodeId, { startedAt: 3_000 });
      const reply = await r.heartbeat(hb, Date.now());
      expect(reply.ok).toBe(true);
      return state.storage.sql.exec('SELECT node_id FROM losses').toArray();
    });
    expect(queued).toEqual([{ node_id: nodeId }]);
  });

  it('a restarted node (new startedAt) fails the old instance sessions; the room moves on', async () => {
    const { tok, session, nodeId } = await negotiatingSession({ room: 'stage' });
    await heartbeat(nodeId, { startedAt: 2_000 });
    await runDurableObjectAlarm(registry());
    await eventually(async () => {
      const view = await (await call(session.links.self, authed(tok, 'GET'))).json();
      return (view as { state: string }).state === 'failed';
    });
    const view = await (await call(session.links.self, authed(tok, 'GET'))).json();
    expect(view).toMatchObject({ state: 'failed', reason: 'node_lost' });
    const again = await createSession(tok, { room: 'stage' });
    expect(again.node.id).toBe(nodeId);
    expect(again.state).toBe('new');
  });

  it('a stopped node fails what it still had with node_shutdown', async () => {
    const { tok, session, nodeId } = await negotiatingSession();
    const client = await openEvents(session.links.events, tok);
    await heartbeat(nodeId, { state: 'stopped' });
    await client.until((f) => f.some((e) => e.type === 'closed'));
    expect(client.frames.at(-1) as SessionEvent).toMatchObject({
      type: 'closed',
      reason: 'node_shutdown',
    });
    const res = await call('/api/media/sessions', authed(tok, 'POST', {}));
    expect(await res.json()).toMatchObject({ error: { code: 'no_media_node' } });
  });
});

describe('GET /api/media/nodes', () => {
  it('lists the registered nodes with state and load for admins only', async () => {
    const nodeId = uid('node');
    await heartbeat(nodeId, { state: 'draining', load: load(7) });
    const admin = await token(uid('ops'), { admin: true });
    const res = await call('/api/media/nodes', authed(admin, 'GET'));
    expect(res.status).toBe(200);
    const { nodes } = (await res.json()) as { nodes: Array<Record<string, unknown>> };
    expect(nodes.find((n) => n.id === nodeId)).toMatchObject({
      id: nodeId,
      state: 'draining',
      load: { sessions: 7, maxSessions: 100 },
    });
    const plain = await call('/api/media/nodes', authed(await token(uid('dev')), 'GET'));
    expect(plain.status).toBe(403);
    expect((await call('/api/media/nodes')).status).toBe(401);
  });
});
