/**
 * Issue 15 in the Workers runtime: placement off the registry (node directory with a max age,
 * capacity shares and the shared pool), the client's location (request.cf, or the header only
 * when trusted), and what operators see (counters, node.region and node.distanceKm).
 */
import { createExecutionContext, runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import type { CreateSessionResponse, SessionView } from '../../shared/api.ts';
import { createApp } from '../src/http/app.ts';
import { LOCATION_HEADER } from '../src/placement/client-location.ts';
import {
  authed,
  call,
  createSession,
  heartbeat,
  ORIGIN,
  shardCount,
  token,
  uid,
} from './support/edge.ts';
import { directoryAged, directoryMaxAgeMs, metric, scrape } from './support/placement.ts';

const load = (sessions: number, maxSessions = 100) => ({
  sessions,
  rooms: 0,
  maxSessions,
  eventLoopLagMs: 1,
});
const FRANKFURT = { latitude: 50.11, longitude: 8.68 };
const SINGAPORE = { latitude: 1.35, longitude: 103.82 };
const PARIS = '48.86,2.35';
const registryCalls = async (op: string) =>
  metric(await scrape(), 'media_edge_registry_calls_total', ['op', op]);

/** The app with TRUST_LOCATION_HEADER set, as a local stack or a test deployment runs it. */
function trustingEdge() {
  const app = createApp();
  const ctx = createExecutionContext();
  const trusted = { ...env, TRUST_LOCATION_HEADER: '1' };
  return (path: string, init: RequestInit) =>
    app.fetch(new Request(`${ORIGIN}${path}`, init), trusted, ctx);
}

async function created(res: Response): Promise<CreateSessionResponse> {
  if (res.status !== 201) throw new Error(`create ${res.status}: ${await res.text()}`);
  return (await res.json()) as CreateSessionResponse;
}

/** An eu node (busier) and an ap node (idle): load alone would pick ap. */
async function euAndAp() {
  const [eu, ap] = [uid('eu'), uid('ap')];
  await heartbeat(eu, { region: 'eu-central', location: FRANKFURT, load: load(40) });
  await heartbeat(ap, { region: 'ap-southeast', location: SINGAPORE, load: load(0) });
  return { eu, ap };
}

describe('node directory', () => {
  it('creates place from the placer copy: the registry is asked once per max age, not per create', async () => {
    const nodeId = uid('node');
    await heartbeat(nodeId);
    const tok = await token(uid('dev'));
    const started = Date.now();
    // One device: one placer. Concurrent creates wait for the same pull.
    const sessions = await Promise.all(Array.from({ length: 20 }, () => createSession(tok)));
    const elapsedMs = Date.now() - started;
    for (const s of sessions) expect(s.node.id).toBe(nodeId);
    const pulls = await registryCalls('directory');
    // One pull, plus one per max age the burst outlasted (a loaded machine is slow).
    expect(pulls).toBeGreaterThanOrEqual(1);
    expect(pulls).toBeLessThanOrEqual(1 + Math.floor(elapsedMs / directoryMaxAgeMs()));
    expect(await registryCalls('reserve')).toBe(0);
  });

  it('a draining node gets no new placement once the directory copy is older than its max age', async () => {
    const [a, b] = [uid('node'), uid('node')];
    await heartbeat(a, { load: load(0) });
    await heartbeat(b, { load: load(50) });
    const tok = await token(uid('dev'));
    expect((await createSession(tok)).node.id).toBe(a);
    await heartbeat(a, { state: 'draining', load: load(0) });
    await directoryAged();
    for (let i = 0; i < 5; i++) expect((await createSession(tok)).node.id).toBe(b);
  });

  it('the registry is the one that pulls are made from: its version changes with each heartbeat', async () => {
    const nodeId = uid('node');
    await heartbeat(nodeId);
    const registry = env.NODE_REGISTRY.getByName('global');
    const first = await runInDurableObject(registry, (r) => r.directory());
    expect('nodes' in first && first.nodes.map((n) => n.id)).toEqual([nodeId]);
    expect(await runInDurableObject(registry, (r) => r.directory(first.version))).toEqual({
      version: first.version,
      unchanged: true,
    });
    await heartbeat(nodeId, { load: load(3) });
    const next = await runInDurableObject(registry, (r) => r.directory(first.version));
    expect(next.version).not.toBe(first.version);
    expect('nodes' in next && next.nodes[0]?.load.sessions).toBe(3);
  });
});

describe('capacity without a global round trip', () => {
  it("a placer fills its share alone, then the registry's pool, then refuses capacity_exceeded", async () => {
    // 10 free slots over 4 placers: a share of 2 per placer, a pool of 2 at the registry.
    expect(shardCount()).toBe(4);
    const nodeId = uid('node');
    await heartbeat(nodeId, { load: load(0, 10) });
    const tok = await token(uid('dev')); // one device: one placer
    await createSession(tok);
    await createSession(tok);
    expect(await registryCalls('reserve')).toBe(0);
    await createSession(tok);
    await createSession(tok);
    expect(await registryCalls('reserve')).toBe(2);
    const res = await call('/api/media/sessions', authed(tok, 'POST', {}));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.json()).toMatchObject({ error: { code: 'capacity_exceeded' } });
    const text = await scrape();
    expect(metric(text, 'media_edge_placements_refused_total', ['code', 'capacity_exceeded'])).toBe(
      1,
    );
  });

  it("the node's next heartbeat starts the count over (placement sees it within the max age)", async () => {
    const nodeId = uid('node');
    await heartbeat(nodeId, { load: load(0, 4) }); // share 1, pool 0
    const tok = await token(uid('dev'));
    await createSession(tok);
    const full = await call('/api/media/sessions', authed(tok, 'POST', {}));
    expect(await full.json()).toMatchObject({ error: { code: 'capacity_exceeded' } });
    await heartbeat(nodeId, { load: load(1, 4) }); // counts the session that offered meanwhile
    await directoryAged();
    expect((await createSession(tok)).node.id).toBe(nodeId);
  });

  it('a pool reservation not offered within PENDING_OFFER_TIMEOUT_MS stops holding its slot', async () => {
    const nodeId = uid('node');
    await heartbeat(nodeId, { load: load(0, 2) }); // share 0, pool 2
    const tok = await token(uid('dev'));
    await createSession(tok);
    await createSession(tok);
    const full = await call('/api/media/sessions', authed(tok, 'POST', {}));
    expect(await full.json()).toMatchObject({ error: { code: 'capacity_exceeded' } });
    const registry = env.NODE_REGISTRY.getByName('global');
    const later = Date.now() + Number(env.PENDING_OFFER_TIMEOUT_MS) + 1;
    expect(await runInDurableObject(registry, (r) => r.reserve(nodeId, 1_000, later))).toBe(true);
    // A reservation names the node instance: a stale one is refused.
    expect(await runInDurableObject(registry, (r) => r.reserve(nodeId, 999, later))).toBe(false);
  });
});

describe('client location', () => {
  it('ignores x-client-location by default (wrangler.toml leaves TRUST_LOCATION_HEADER off)', async () => {
    expect(env.TRUST_LOCATION_HEADER).toBe('0');
    const { ap } = await euAndAp();
    const tok = await token(uid('dev'));
    const session = await created(
      await call('/api/media/sessions', authed(tok, 'POST', {}, { [LOCATION_HEADER]: PARIS })),
    );
    // No location: the least loaded node, the distance unknown.
    expect(session.node).toEqual({ id: ap, region: 'ap-southeast', distanceKm: null });
    expect(metric(await scrape(), 'media_edge_placements_total', ['match', 'fallback'])).toBe(1);
  });

  it('with TRUST_LOCATION_HEADER set, the header places the room near its client', async () => {
    const { eu } = await euAndAp();
    const edge = trustingEdge();
    const tok = await token(uid('dev'));
    const session = await created(
      await edge('/api/media/sessions', authed(tok, 'POST', {}, { [LOCATION_HEADER]: PARIS })),
    );
    expect(session.node).toMatchObject({ id: eu, region: 'eu-central' });
    // Paris - Frankfurt is about 480 km.
    expect(session.node.distanceKm).toBeGreaterThan(440);
    expect(session.node.distanceKm).toBeLessThan(520);
    const view = (await (await call(session.links.self, authed(tok, 'GET'))).json()) as SessionView;
    expect(view.node).toEqual(session.node);
    expect(metric(await scrape(), 'media_edge_placements_total', ['match', 'region'])).toBe(1);
  });

  it('a malformed trusted header is a 400 naming it; an untrusted one is never read', async () => {
    await euAndAp();
    const tok = await token(uid('dev'));
    const bad = authed(tok, 'POST', {}, { [LOCATION_HEADER]: 'paris' });
    const res = await trustingEdge()('/api/media/sessions', bad);
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({
      error: { code: 'invalid_request', field: LOCATION_HEADER },
    });
    expect((await call('/api/media/sessions', bad)).status).toBe(201);
  });

  it("production: request.cf's latitude and longitude place the room", async () => {
    const { ap } = await euAndAp();
    const tok = await token(uid('dev'));
    const res = await call('/api/media/sessions', {
      ...authed(tok, 'POST', {}),
      cf: { latitude: '-6.2', longitude: '106.85', continent: 'AS', colo: 'CGK' },
    } as RequestInit);
    const session = await created(res);
    expect(session.node.id).toBe(ap);
    expect(session.node.distanceKm).toBeGreaterThan(800);
    expect(session.node.distanceKm).toBeLessThan(1000);
  });

  it('with the nearest node full, the client goes to the next nearest (match nearest)', async () => {
    const [eu, ap] = [uid('eu'), uid('ap')];
    await heartbeat(eu, { region: 'eu-central', location: FRANKFURT, load: load(100) });
    await heartbeat(ap, { region: 'ap-southeast', location: SINGAPORE, load: load(0) });
    const tok = await token(uid('dev'));
    const session = await created(
      await trustingEdge()(
        '/api/media/sessions',
        authed(tok, 'POST', {}, { [LOCATION_HEADER]: PARIS }),
      ),
    );
    expect(session.node.id).toBe(ap);
    const text = await scrape();
    expect(metric(text, 'media_edge_placements_total', ['match', 'nearest'])).toBe(1);
    expect(metric(text, 'media_edge_placements_total', ['match', 'region'])).toBe(0);
  });

  it('a room stays where its first participant put it, whoever joins later', async () => {
    const { eu } = await euAndAp();
    const edge = trustingEdge();
    const room = uid('room');
    const first = await created(
      await edge(
        '/api/media/sessions',
        authed(await token(uid('dev')), 'POST', { room }, { [LOCATION_HEADER]: PARIS }),
      ),
    );
    expect(first.node.id).toBe(eu);
    const fromSydney = await created(
      await edge(
        '/api/media/sessions',
        authed(await token(uid('dev')), 'POST', { room }, { [LOCATION_HEADER]: '-33.87,151.21' }),
      ),
    );
    expect(fromSydney.node.id).toBe(eu);
    expect(fromSydney.node.distanceKm).toBeGreaterThan(16_000);
    // One placement decision (the room's), the join is not one.
    const text = await scrape();
    expect(metric(text, 'media_edge_placements_total', ['match', 'region'])).toBe(1);
  });
});
