import { describe, expect, it } from 'vitest';
import type { ListSessionsResponse, SessionView } from '../../shared/api.ts';
import { MAX_BODY_BYTES, NAME_PATTERN } from '../../shared/limits.ts';
import {
  authed,
  call,
  createSession,
  heartbeat,
  negotiatingSession,
  nodeRequests,
  token,
  uid,
} from './support/edge.ts';

describe('POST /api/media/sessions', () => {
  it('creates a session on a node, in a private room when no room is given', async () => {
    const nodeId = uid('node');
    await heartbeat(nodeId);
    const tok = await token(uid('dev'));
    const res = await call('/api/media/sessions', authed(tok, 'POST', { echo: true }));
    expect(res.status).toBe(201);
    const body = (await res.json()) as Record<string, unknown> & {
      sessionId: string;
      room: string;
    };
    expect(body.sessionId).toMatch(/^[0-9a-f]{32}$/);
    expect(body.room).toBe(`p-${body.sessionId}`);
    expect(body.room).toMatch(NAME_PATTERN);
    expect(body).toMatchObject({
      state: 'new',
      node: { id: nodeId, region: 'local' },
      iceServers: [],
      links: {
        self: `/api/media/sessions/${body.sessionId}`,
        offer: `/api/media/sessions/${body.sessionId}/offer`,
        events: `/api/media/sessions/${body.sessionId}/events`,
      },
    });
    expect(Date.parse(String(body.expiresAt))).toBeGreaterThan(Date.now());
  });

  it('refuses an invalid body with 400 and the field at fault', async () => {
    const tok = await token(uid('dev'));
    const res = await call('/api/media/sessions', authed(tok, 'POST', { room: 'bad room!' }));
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_request', field: 'room' } });
    const extra = await call('/api/media/sessions', authed(tok, 'POST', { nope: 1 }));
    expect(extra.status).toBe(400);
    const notJson = await call('/api/media/sessions', { ...authed(tok, 'POST'), body: '{' });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toMatchObject({
      error: { code: 'invalid_request', field: '(body)' },
    });
  });

  it('refuses a body over MAX_BODY_BYTES with 413 before parsing it', async () => {
    const tok = await token(uid('dev'));
    const big = JSON.stringify({ metadata: { x: 'a'.repeat(MAX_BODY_BYTES) } });
    const res = await call('/api/media/sessions', { ...authed(tok, 'POST'), body: big });
    expect(res.status).toBe(413);
    expect(await res.json()).toMatchObject({
      error: { code: 'payload_too_large', limit: MAX_BODY_BYTES },
    });
  });

  it('answers 503 no_media_node when no node is registered', async () => {
    const tok = await token(uid('dev'));
    const res = await call('/api/media/sessions', authed(tok, 'POST', {}));
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.json()).toMatchObject({ error: { code: 'no_media_node' } });
  });
});

describe('GET / DELETE /api/media/sessions/:id', () => {
  it('reads a session', async () => {
    const { tok, session, nodeId, device } = await negotiatingSession({ metadata: { name: 'a' } });
    const res = await call(session.links.self, authed(tok, 'GET'));
    expect(res.status).toBe(200);
    const view = (await res.json()) as SessionView;
    expect(view).toMatchObject({
      sessionId: session.sessionId,
      deviceId: device,
      state: 'negotiating',
      node: { id: nodeId, region: 'local' },
      iceCandidates: 0,
      tracks: [],
      metadata: { name: 'a' },
    });
  });

  it('answers 404 session_not_found for unknown and malformed ids', async () => {
    const tok = await token(uid('dev'));
    for (const id of ['0'.repeat(32), 'not-an-id']) {
      const res = await call(`/api/media/sessions/${id}`, authed(tok, 'GET'));
      expect(res.status).toBe(404);
      expect(await res.json()).toMatchObject({ error: { code: 'session_not_found' } });
    }
  });

  it('closes a session (204), tells the node, and stays closed on a second DELETE', async () => {
    const { tok, session, nodeId } = await negotiatingSession();
    const res = await call(session.links.self, authed(tok, 'DELETE'));
    expect(res.status).toBe(204);
    const view = (await (await call(session.links.self, authed(tok, 'GET'))).json()) as SessionView;
    expect(view).toMatchObject({ state: 'closed', reason: 'closed_by_client' });
    const deletes = (await nodeRequests(nodeId)).filter((r) => r.method === 'DELETE');
    expect(deletes).toEqual([
      expect.objectContaining({
        path: `/internal/v1/sessions/${session.sessionId}?reason=closed_by_client`,
        signature: 'ok',
      }),
    ]);
    expect((await call(session.links.self, authed(tok, 'DELETE'))).status).toBe(204);
    const offer = await call(session.links.offer, authed(tok, 'POST', { sdp: 'v=0' }));
    expect(offer.status).toBe(409);
    expect(await offer.json()).toMatchObject({ error: { code: 'invalid_state', state: 'closed' } });
  });
});

describe('GET /api/media/sessions (listing)', () => {
  async function list(tok: string, query = ''): Promise<ListSessionsResponse> {
    const res = await call(`/api/media/sessions${query}`, authed(tok, 'GET'));
    expect(res.status).toBe(200);
    return (await res.json()) as ListSessionsResponse;
  }

  it("lists the caller's own sessions only; admins see all and filter by device and room", async () => {
    await heartbeat(uid('node'));
    const [a, b] = [uid('dev'), uid('dev')];
    const [ta, tb] = [await token(a), await token(b)];
    const room = uid('room');
    const mine = [await createSession(ta, { room }), await createSession(ta)];
    await createSession(tb, { room });
    const own = await list(ta);
    expect(own.sessions.map((s) => s.sessionId).sort()).toEqual(
      mine.map((s) => s.sessionId).sort(),
    );
    expect(own.nextCursor).toBeNull();
    const admin = await token(uid('ops'), { admin: true });
    expect((await list(admin)).sessions).toHaveLength(3);
    expect((await list(admin, `?device=${b}`)).sessions.map((s) => s.deviceId)).toEqual([b]);
    expect((await list(admin, `?room=${room}`)).sessions).toHaveLength(2);
    expect((await list(ta, `?room=${room}`)).sessions).toHaveLength(1);
    const forbidden = await call(`/api/media/sessions?device=${b}`, authed(ta, 'GET'));
    expect(forbidden.status).toBe(403);
  });

  it('pages with a stable cursor across shards, without duplicates or gaps', async () => {
    await heartbeat(uid('node'));
    const tok = await token(uid('dev'));
    const created = new Set<string>();
    for (let i = 0; i < 7; i++) created.add((await createSession(tok)).sessionId);
    const seen: string[] = [];
    let cursor: string | null = '';
    let pages = 0;
    while (cursor !== null) {
      const page = await list(tok, `?limit=3${cursor ? `&cursor=${cursor}` : ''}`);
      expect(page.sessions.length).toBeLessThanOrEqual(3);
      seen.push(...page.sessions.map((s) => s.sessionId));
      cursor = page.nextCursor;
      pages++;
      expect(pages).toBeLessThan(10);
    }
    expect(seen).toHaveLength(7);
    expect(new Set(seen)).toEqual(created);
  });

  it('validates limit and cursor', async () => {
    const tok = await token(uid('dev'));
    for (const q of ['?limit=0', '?limit=101', '?limit=x', '?cursor=garbage']) {
      const res = await call(`/api/media/sessions${q}`, authed(tok, 'GET'));
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { field: string } };
      expect(['limit', 'cursor']).toContain(body.error.field);
    }
  });
});
