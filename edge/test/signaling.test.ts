import { describe, expect, it } from 'vitest';
import type { SessionView } from '../../shared/api.ts';
import { MAX_SDP_MEDIA_SECTIONS } from '../../shared/sdp-limits.ts';
import {
  authed,
  call,
  createSession,
  heartbeat,
  negotiatingSession,
  nodeRequests,
  setNodeMode,
  token,
  uid,
} from './support/edge.ts';

const candidate = (i: number) => ({
  candidate: `candidate:${i} 1 udp 2122260223 127.0.0.1 ${40000 + i} typ host`,
  sdpMid: '0',
  sdpMLineIndex: 0,
});
const candidates = (from: number, n: number) => ({
  candidates: Array.from({ length: n }, (_, i) => candidate(from + i)),
});

async function view(tok: string, path: string): Promise<SessionView> {
  return (await (await call(path, authed(tok, 'GET'))).json()) as SessionView;
}

describe('offer / answer', () => {
  it('forwards the offer to the node, signed, and returns its answer', async () => {
    const nodeId = uid('node');
    await heartbeat(nodeId);
    const device = uid('dev');
    const tok = await token(device);
    const session = await createSession(tok, { room: 'lobby', echo: true });
    const res = await call(
      session.links.offer,
      authed(tok, 'POST', { sdp: 'v=0 my-offer', type: 'offer' }),
    );
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      type: 'answer',
      sdp: `v=0 fake-answer ${session.sessionId}`,
    });
    const [offer] = await nodeRequests(nodeId);
    expect(offer).toMatchObject({
      method: 'POST',
      path: `/internal/v1/sessions/${session.sessionId}/offer`,
      signature: 'ok',
    });
    expect(JSON.parse(offer?.body ?? '')).toEqual({
      room: 'lobby',
      deviceId: device,
      echo: true,
      sdp: 'v=0 my-offer',
    });
    expect((await view(tok, session.links.self)).state).toBe('negotiating');
  });

  it('forwards an answer (204) and validates the sdp', async () => {
    const { tok, session, nodeId } = await negotiatingSession();
    expect(
      (await call(session.links.answer, authed(tok, 'POST', { sdp: 'v=0 answer' }))).status,
    ).toBe(204);
    expect((await nodeRequests(nodeId)).map((r) => r.path)).toContain(
      `/internal/v1/sessions/${session.sessionId}/answer`,
    );
    const bad = await call(session.links.answer, authed(tok, 'POST', { sdp: '' }));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { field: 'sdp' } });
  });

  it('refuses answers and candidates before the offer with 409 invalid_state', async () => {
    await heartbeat(uid('node'));
    const tok = await token(uid('dev'));
    const session = await createSession(tok);
    const res = await call(session.links.candidates, authed(tok, 'POST', candidates(0, 1)));
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_state', state: 'new' } });
    expect((await call(session.links.answer, authed(tok, 'POST', { sdp: 'v=0' }))).status).toBe(
      409,
    );
  });
});

describe('ICE candidate cap', () => {
  it('accepts 50, refuses the 51st with 429 and the limit, and loses nothing', async () => {
    const { tok, session, nodeId } = await negotiatingSession();
    for (let i = 0; i < 50; i += 10) {
      const res = await call(session.links.candidates, authed(tok, 'POST', candidates(i, 10)));
      expect(res.status).toBe(204);
    }
    const res = await call(session.links.candidates, authed(tok, 'POST', candidates(50, 1)));
    expect(res.status).toBe(429);
    expect(await res.json()).toMatchObject({
      error: { code: 'too_many_ice_candidates', limit: 50, accepted: 50 },
    });
    const after = await view(tok, session.links.self);
    expect(after).toMatchObject({ state: 'negotiating', iceCandidates: 50 });
    const forwarded = (await nodeRequests(nodeId))
      .filter((r) => r.path.endsWith('/candidates'))
      .flatMap((r) => (JSON.parse(r.body) as { candidates: unknown[] }).candidates);
    expect(forwarded).toHaveLength(50);
  });

  it('refuses a request that would pass the cap whole; an end-of-candidates marker counts', async () => {
    const { tok, session } = await negotiatingSession();
    expect(
      (await call(session.links.candidates, authed(tok, 'POST', candidates(0, 45)))).status,
    ).toBe(204);
    expect(
      (await call(session.links.candidates, authed(tok, 'POST', candidates(45, 10)))).status,
    ).toBe(429);
    expect((await view(tok, session.links.self)).iceCandidates).toBe(45);
    const endMarker = { candidates: [{ candidate: '', sdpMid: '0' }] };
    expect((await call(session.links.candidates, authed(tok, 'POST', endMarker))).status).toBe(204);
    expect(
      (await call(session.links.candidates, authed(tok, 'POST', candidates(46, 4)))).status,
    ).toBe(204);
    expect((await view(tok, session.links.self)).iceCandidates).toBe(50);
  });

  it('end-of-candidates markers cannot bypass the cap (10,000 were accepted before)', async () => {
    const { tok, session, nodeId } = await negotiatingSession();
    const markers = { candidates: Array.from({ length: 50 }, () => ({ candidate: '' })) };
    expect((await call(session.links.candidates, authed(tok, 'POST', markers))).status).toBe(204);
    const more = await call(session.links.candidates, authed(tok, 'POST', markers));
    expect(more.status).toBe(429);
    expect(await more.json()).toMatchObject({
      error: { code: 'too_many_ice_candidates', limit: 50 },
    });
    const single = { candidates: [{ candidate: '' }] };
    expect((await call(session.links.candidates, authed(tok, 'POST', single))).status).toBe(429);
    const forwarded = (await nodeRequests(nodeId))
      .filter((r) => r.path.endsWith('/candidates'))
      .flatMap((r) => (JSON.parse(r.body) as { candidates: unknown[] }).candidates);
    expect(forwarded).toHaveLength(50);
  });

  it('does not count candidates the node did not take', async () => {
    const { tok, session, nodeId } = await negotiatingSession();
    await setNodeMode(nodeId, 'error500');
    expect(
      (await call(session.links.candidates, authed(tok, 'POST', candidates(0, 5)))).status,
    ).toBe(503);
    expect((await view(tok, session.links.self)).iceCandidates).toBe(0);
  });

  it('validates candidate bodies (empty list, too many in one request)', async () => {
    const { tok, session } = await negotiatingSession();
    const empty = await call(session.links.candidates, authed(tok, 'POST', { candidates: [] }));
    expect(empty.status).toBe(400);
    expect(await empty.json()).toMatchObject({ error: { field: 'candidates' } });
    expect(
      (await call(session.links.candidates, authed(tok, 'POST', candidates(0, 51)))).status,
    ).toBe(400);
  });
});

describe('media node failures', () => {
  async function offerWith(mode: Parameters<typeof setNodeMode>[1] | 'unreachable') {
    const nodeId = uid('node');
    if (mode === 'unreachable') await heartbeat(nodeId, { url: 'http://127.0.0.1:9' });
    else {
      await heartbeat(nodeId);
      await setNodeMode(nodeId, mode);
    }
    const tok = await token(uid('dev'));
    const session = await createSession(tok);
    const started = Date.now();
    const res = await call(session.links.offer, authed(tok, 'POST', { sdp: 'v=0' }));
    return {
      res,
      ms: Date.now() - started,
      body: (await res.json()) as { error: Record<string, unknown> },
    };
  }

  it('an unreachable node gives 503 media_node_unavailable', async () => {
    const { res, body } = await offerWith('unreachable');
    expect(res.status).toBe(503);
    expect(body.error.code).toBe('media_node_unavailable');
  });

  it('a node that never answers gives 503 after NODE_TIMEOUT_MS, not a hang', async () => {
    const { res, body, ms } = await offerWith('hang');
    expect(res.status).toBe(503);
    expect(body.error.code).toBe('media_node_unavailable');
    expect(ms).toBeGreaterThanOrEqual(350);
    expect(ms).toBeLessThan(3_000);
  });

  it('a node 5xx gives 503 media_node_unavailable without internals', async () => {
    const { res, body } = await offerWith('error500');
    expect(res.status).toBe(503);
    expect(body.error).toEqual({
      code: 'media_node_unavailable',
      message: 'media node did not answer (status 500)',
      node: expect.any(String),
    });
  });

  it('a full node gives 503 capacity_exceeded with its Retry-After', async () => {
    const { res, body } = await offerWith('capacity');
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('7');
    expect(body.error.code).toBe('capacity_exceeded');
  });

  it("a node's 4xx error is passed through with its status", async () => {
    const { res, body } = await offerWith('reject409');
    expect(res.status).toBe(409);
    expect(body.error).toMatchObject({ code: 'invalid_state', message: 'node says no' });
  });
});

describe('a refused first offer and SDP bounds (issue 12 item 7)', () => {
  it('puts the session back to new when the node refuses the first offer; a corrected offer works', async () => {
    const nodeId = uid('node');
    await heartbeat(nodeId);
    await setNodeMode(nodeId, 'reject409');
    const tok = await token(uid('dev'));
    const session = await createSession(tok);
    const refused = await call(session.links.offer, authed(tok, 'POST', { sdp: 'v=0 bad' }));
    expect(refused.status).toBe(409);
    expect((await view(tok, session.links.self)).state).toBe('new');
    // Candidates now get a clear 409 from the edge, not the node's "no such session".
    const early = await call(session.links.candidates, authed(tok, 'POST', candidates(0, 1)));
    expect(early.status).toBe(409);
    expect(await early.json()).toMatchObject({ error: { code: 'invalid_state', state: 'new' } });
    await setNodeMode(nodeId, 'ok');
    const fixed = await call(session.links.offer, authed(tok, 'POST', { sdp: 'v=0 good' }));
    expect(fixed.status).toBe(200);
    expect((await view(tok, session.links.self)).state).toBe('negotiating');
    const later = await call(session.links.candidates, authed(tok, 'POST', candidates(0, 1)));
    expect(later.status).toBe(204);
  });

  it('refuses an offer past the m-line bound, or with a malformed fingerprint, without calling the node', async () => {
    const nodeId = uid('node');
    await heartbeat(nodeId);
    const tok = await token(uid('dev'));
    const session = await createSession(tok);
    const sections = Array.from(
      { length: MAX_SDP_MEDIA_SECTIONS + 1 },
      (_, i) => `m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:${i}\r\n`,
    ).join('');
    const tooMany = await call(
      session.links.offer,
      authed(tok, 'POST', { sdp: `v=0\r\n${sections}` }),
    );
    expect(tooMany.status).toBe(400);
    expect(await tooMany.json()).toMatchObject({
      error: { code: 'invalid_request', field: 'sdp', limit: MAX_SDP_MEDIA_SECTIONS },
    });
    const badPrint = await call(
      session.links.offer,
      authed(tok, 'POST', { sdp: 'v=0\r\na=fingerprint:sha-256 AB:CD\r\n' }),
    );
    expect(badPrint.status).toBe(400);
    expect((await nodeRequests(nodeId)).filter((r) => r.path.endsWith('/offer'))).toHaveLength(0);
    expect((await view(tok, session.links.self)).state).toBe('new');
  });
});

describe('PUT /sessions/:id/subscriptions/:trackId', () => {
  const path = (sessionId: string, trackId: string) =>
    `/api/media/sessions/${sessionId}/subscriptions/${encodeURIComponent(trackId)}`;

  it('forwards the choice to the node, signed, and returns the subscription it applied', async () => {
    const { tok, session, nodeId } = await negotiatingSession();
    const res = await call(path(session.sessionId, 'pub:1'), authed(tok, 'PUT', { maxLayer: 'q' }));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      trackId: 'pub:1',
      kind: 'video',
      rids: ['q', 'h', 'f'],
      maxLayer: 'q',
      paused: false,
      layer: 'q',
    });
    const put = (await nodeRequests(nodeId)).find((r) => r.method === 'PUT');
    expect(put).toMatchObject({
      path: `/internal/v1/sessions/${session.sessionId}/subscriptions/pub%3A1`,
      signature: 'ok',
    });
    expect(JSON.parse(put?.body ?? '')).toEqual({ maxLayer: 'q' });
  });

  it("passes the node's 404 for a track the session does not receive", async () => {
    const { tok, session } = await negotiatingSession();
    const res = await call(path(session.sessionId, 'pub:7'), authed(tok, 'PUT', { paused: true }));
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'track_not_found' } });
  });

  it('refuses a bad body or track id with 400, before the node is asked', async () => {
    const { tok, session, nodeId } = await negotiatingSession();
    for (const [trackId, body, field] of [
      ['pub:1', { maxLayer: 'x' }, 'maxLayer'],
      ['pub:1', {}, '(body)'],
      ['pub:1', { paused: true, extra: 1 }, '(body)'],
      ['pub 1', { paused: true }, 'trackId'],
    ] as const) {
      const res = await call(path(session.sessionId, trackId), authed(tok, 'PUT', body));
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'invalid_request', field } });
    }
    expect((await nodeRequests(nodeId)).filter((r) => r.method === 'PUT')).toEqual([]);
  });

  it('refuses a session that has not sent its offer with 409', async () => {
    await heartbeat(uid('node'));
    const tok = await token(uid('dev'));
    const session = await createSession(tok);
    const res = await call(path(session.sessionId, 'pub:1'), authed(tok, 'PUT', { paused: true }));
    expect(res.status).toBe(409);
  });
});
