import { describe, expect, it } from 'vitest';
import type { ListSessionsResponse } from '../../shared/api.ts';
import { authed, call, heartbeat, nodeRequests, setNodeMode, token, uid } from './support/edge.ts';

/** The smallest offer the edge's SDP checks accept (structure only: the fake node answers). */
const OFFER = [
  'v=0',
  'o=- 1 1 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'm=video 9 UDP/TLS/RTP/SAVPF 96',
  'a=mid:0',
  'a=ice-ufrag:abcd',
  'a=ice-pwd:abcdefghijklmnopqrstuvwx',
  `a=fingerprint:sha-256 ${Array.from({ length: 32 }, () => 'AB').join(':')}`,
  'a=sendonly',
  'a=rtpmap:96 VP8/90000',
  '',
].join('\r\n');

const FRAG = (n: number, ufrag = 'abcd') =>
  [
    `a=ice-ufrag:${ufrag}`,
    'a=ice-pwd:abcdefghijklmnopqrstuvwx',
    'm=video 9 UDP/TLS/RTP/SAVPF 0',
    'a=mid:0',
    ...Array.from(
      { length: n },
      (_, i) => `a=candidate:${i} 1 udp 2122260223 127.0.0.1 ${40000 + i} typ host`,
    ),
    '',
  ].join('\r\n');

function sdpRequest(tok: string | undefined, body: string, type = 'application/sdp') {
  const headers: Record<string, string> = { 'content-type': type };
  if (tok !== undefined) headers.authorization = `Bearer ${tok}`;
  return { method: 'POST', headers, body } satisfies RequestInit;
}

function patch(tok: string, body: string, headers: Record<string, string> = {}) {
  return {
    method: 'PATCH',
    headers: {
      authorization: `Bearer ${tok}`,
      'content-type': 'application/trickle-ice-sdpfrag',
      ...headers,
    },
    body,
  } satisfies RequestInit;
}

async function sessionsOf(tok: string): Promise<ListSessionsResponse['sessions']> {
  const res = await call('/api/media/sessions', authed(tok, 'GET'));
  return ((await res.json()) as ListSessionsResponse).sessions;
}

/** A node, a device and a WHIP session published into `room`. */
async function published(room = uid('room')) {
  const nodeId = uid('node');
  await heartbeat(nodeId);
  const device = uid('dev');
  const tok = await token(device);
  const res = await call(`/api/media/whip/${room}`, sdpRequest(tok, OFFER));
  if (res.status !== 201) throw new Error(`whip ${res.status}: ${await res.text()}`);
  const location = res.headers.get('location') ?? '';
  const etag = res.headers.get('etag') ?? '';
  const sessionId = location.split('/').pop() ?? '';
  return { nodeId, device, tok, room, res, location, etag, sessionId };
}

describe('WHIP: POST /api/media/whip/:room', () => {
  it('creates a publishing session: 201, the answer as application/sdp, Location, ETag, CORS', async () => {
    const { res, location, etag, sessionId, nodeId, room, device, tok } = await published();
    expect(res.status).toBe(201);
    expect(res.headers.get('content-type')).toBe('application/sdp');
    expect(location).toBe(`/api/media/whip/sessions/${sessionId}`);
    expect(etag).toMatch(/^"[0-9a-f]{20}"$/);
    expect(await res.text()).toBe(`v=0 fake-answer ${sessionId}`);
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-expose-headers')).toMatch(/Location, ETag, Link/);
    // No ICE servers configured in this environment: no Link header (link-header.test.ts).
    expect(res.headers.get('link')).toBeNull();
    const [offer] = await nodeRequests(nodeId);
    expect(JSON.parse(offer?.body ?? '')).toEqual({
      room,
      deviceId: device,
      echo: false,
      sdp: OFFER,
      mode: { kind: 'publish' },
    });
    // An ordinary session: listed, in its room, negotiating.
    expect(await sessionsOf(tok)).toMatchObject([
      { sessionId, room, state: 'negotiating', metadata: { protocol: 'whip' } },
    ]);
  });

  it('415 for a body that is not application/sdp, and no session', async () => {
    await heartbeat(uid('node'));
    const tok = await token(uid('dev'));
    const res = await call('/api/media/whip/lobby', sdpRequest(tok, OFFER, 'application/json'));
    expect(res.status).toBe(415);
    expect(await res.json()).toMatchObject({
      error: { code: 'unsupported_media_type', expected: 'application/sdp' },
    });
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(await sessionsOf(tok)).toEqual([]);
  });

  it('400 for SDP garbage, and no session', async () => {
    await heartbeat(uid('node'));
    const tok = await token(uid('dev'));
    for (const body of ['', 'hello', 'v=0\r\nm=video 9 RTP/AVP 96\r\n']) {
      const res = await call('/api/media/whip/lobby', sdpRequest(tok, body));
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'invalid_request' } });
    }
    expect(await sessionsOf(tok)).toEqual([]);
  });

  it('401 without a token, 403 for a token bound to another room; no session', async () => {
    await heartbeat(uid('node'));
    const missing = await call('/api/media/whip/lobby', sdpRequest(undefined, OFFER));
    expect(missing.status).toBe(401);
    expect(await missing.json()).toMatchObject({ error: { code: 'unauthorized' } });
    const tok = await token(uid('dev'), { room: 'other' });
    const wrong = await call('/api/media/whip/lobby', sdpRequest(tok, OFFER));
    expect(wrong.status).toBe(403);
    expect(await wrong.json()).toMatchObject({ error: { code: 'forbidden', room: 'lobby' } });
    expect(await sessionsOf(tok)).toEqual([]);
    // The matching room claim is accepted.
    expect((await call('/api/media/whip/other', sdpRequest(tok, OFFER))).status).toBe(201);
  });

  it('400 for a room name out of pattern or in the private namespace', async () => {
    const tok = await token(uid('dev'));
    const bad = await call(`/api/media/whip/${'x'.repeat(65)}`, sdpRequest(tok, OFFER));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'invalid_request', field: 'room' } });
    const priv = await call('/api/media/whip/p-abc', sdpRequest(tok, OFFER));
    expect(priv.status).toBe(400);
  });

  it('ends the session when the node refuses the offer: nothing is left open', async () => {
    const nodeId = uid('node');
    await heartbeat(nodeId);
    await setNodeMode(nodeId, 'reject409');
    const tok = await token(uid('dev'));
    const res = await call('/api/media/whip/lobby', sdpRequest(tok, OFFER));
    expect(res.status).toBe(409);
    const sessions = await sessionsOf(tok);
    expect(sessions.map((s) => s.state)).toEqual(['closed']);
  });

  it('405 with Allow for other methods on the endpoint', async () => {
    const tok = await token(uid('dev'));
    const res = await call('/api/media/whip/lobby', authed(tok, 'GET'));
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST, OPTIONS');
    expect(await res.json()).toMatchObject({ error: { code: 'method_not_allowed' } });
  });

  it('answers OPTIONS (CORS preflight) without a token', async () => {
    const res = await call('/api/media/whip/lobby', {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('allow')).toBe('POST, OPTIONS');
    expect(res.headers.get('accept-post')).toBe('application/sdp');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    const resource = await call('/api/media/whip/sessions/anything', { method: 'OPTIONS' });
    expect(resource.status).toBe(204);
    expect(resource.headers.get('allow')).toBe('PATCH, DELETE, OPTIONS');
    expect(resource.headers.get('accept-patch')).toBe('application/trickle-ice-sdpfrag');
  });
});

describe('WHIP session resource: PATCH and DELETE', () => {
  it('trickles candidates (204) with the ETag, and forwards them to the node', async () => {
    const { tok, location, etag, nodeId, sessionId } = await published();
    const res = await call(location, patch(tok, FRAG(2), { 'if-match': etag }));
    expect(res.status).toBe(204);
    const sent = (await nodeRequests(nodeId)).find((r) => r.path.endsWith('/candidates'));
    expect(sent?.path).toBe(`/internal/v1/sessions/${sessionId}/candidates`);
    expect(JSON.parse(sent?.body ?? '')).toEqual({
      candidates: [
        {
          candidate: 'candidate:0 1 udp 2122260223 127.0.0.1 40000 typ host',
          sdpMid: '0',
          sdpMLineIndex: 0,
          usernameFragment: 'abcd',
        },
        {
          candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 40001 typ host',
          sdpMid: '0',
          sdpMLineIndex: 0,
          usernameFragment: 'abcd',
        },
      ],
    });
  });

  it('412 for a stale ETag, and nothing reaches the node', async () => {
    const { tok, location, nodeId } = await published();
    const res = await call(location, patch(tok, FRAG(1), { 'if-match': '"stale"' }));
    expect(res.status).toBe(412);
    expect(await res.json()).toMatchObject({ error: { code: 'precondition_failed' } });
    expect((await nodeRequests(nodeId)).some((r) => r.path.endsWith('/candidates'))).toBe(false);
  });

  it('restarts ICE (new credentials, If-Match): 200 sdpfrag with the node credentials, a new ETag', async () => {
    const { tok, location, etag, nodeId, sessionId } = await published();
    const res = await call(location, patch(tok, FRAG(1, 'new1'), { 'if-match': etag }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/trickle-ice-sdpfrag');
    const next = res.headers.get('etag') ?? '';
    expect(next).toMatch(/^"[0-9a-f]{20}"$/);
    expect(next).not.toBe(etag);
    expect(await res.text()).toBe(
      [
        'a=ice-lite',
        'a=ice-ufrag:srv1',
        'a=ice-pwd:serverpassword1serverpassword',
        'm=video 9 UDP/TLS/RTP/SAVPF 96',
        'a=mid:0',
        'a=candidate:1 1 udp 2130706431 127.0.0.1 50001 typ host',
        'a=end-of-candidates',
        '',
      ].join('\r\n'),
    );
    // The node got the session's offer again with the new credentials and candidate.
    const offers = (await nodeRequests(nodeId)).filter((r) => r.path.endsWith('/offer'));
    expect(offers.map((r) => r.path)).toEqual([
      `/internal/v1/sessions/${sessionId}/offer`,
      `/internal/v1/sessions/${sessionId}/offer`,
    ]);
    const reoffer = (JSON.parse(offers[1]?.body ?? '{}') as { sdp: string }).sdp;
    expect(reoffer).toContain('a=ice-ufrag:new1\r\na=ice-pwd:abcdefghijklmnopqrstuvwx');
    expect(reoffer).toContain('a=candidate:0 1 udp 2122260223 127.0.0.1 40000 typ host');
    expect(reoffer).not.toContain('a=ice-ufrag:abcd');
    expect(reoffer).toContain('a=rtpmap:96 VP8/90000');

    // The old ETag is stale now; the new one takes trickle (the new ufrag is current).
    const stale = await call(location, patch(tok, FRAG(1, 'new1'), { 'if-match': etag }));
    expect(stale.status).toBe(412);
    expect(await stale.json()).toMatchObject({
      error: { code: 'precondition_failed', etag: next },
    });
    expect((await call(location, patch(tok, FRAG(1, 'new1'), { 'if-match': next }))).status).toBe(
      204,
    );
    // RFC 9725's own form, If-Match: *, restarts again: a third ETag.
    const again = await call(location, patch(tok, FRAG(0, 'new2'), { 'if-match': '*' }));
    expect(again.status).toBe(200);
    expect(await again.text()).toContain('a=ice-ufrag:srv2');
    expect(again.headers.get('etag')).not.toBe(next);
    expect(again.headers.get('etag')).not.toBe(etag);
  });

  it('an ICE restart without If-Match is 428, with a stale ETag 412, without ice-pwd 400: the node sees none', async () => {
    const { tok, location, etag, nodeId } = await published();
    const missing = await call(location, patch(tok, FRAG(1, 'new1')));
    expect(missing.status).toBe(428);
    expect(await missing.json()).toMatchObject({ error: { code: 'precondition_required' } });
    const stale = await call(location, patch(tok, FRAG(1, 'new1'), { 'if-match': '"stale"' }));
    expect(stale.status).toBe(412);
    const noPwd = await call(
      location,
      patch(tok, 'a=ice-ufrag:new1\r\nm=video 9 UDP/TLS/RTP/SAVPF 0\r\na=mid:0\r\n', {
        'if-match': etag,
      }),
    );
    expect(noPwd.status).toBe(400);
    const garbage = await call(
      location,
      patch(tok, 'a=ice-ufrag:new1\r\nnot sdp', { 'if-match': etag }),
    );
    expect(garbage.status).toBe(400);
    const offers = (await nodeRequests(nodeId)).filter((r) => r.path.endsWith('/offer'));
    expect(offers).toHaveLength(1);
    // Still the first ICE session: the original ETag holds.
    expect((await call(location, patch(tok, FRAG(1), { 'if-match': etag }))).status).toBe(204);
  });

  it('a media node refusing the restart keeps the ICE session and its ETag', async () => {
    const { tok, location, etag, nodeId } = await published();
    await setNodeMode(nodeId, 'reject409');
    const res = await call(location, patch(tok, FRAG(0, 'new1'), { 'if-match': etag }));
    expect(res.status).toBe(409);
    await setNodeMode(nodeId, 'ok');
    expect((await call(location, patch(tok, FRAG(0, 'new1'), { 'if-match': etag }))).status).toBe(
      200,
    );
  });

  it('415 for a PATCH that is not a trickle-ice-sdpfrag, 400 for garbage', async () => {
    const { tok, location, etag } = await published();
    const wrong = await call(
      location,
      patch(tok, FRAG(1), { 'content-type': 'application/sdp', 'if-match': etag }),
    );
    expect(wrong.status).toBe(415);
    const garbage = await call(location, patch(tok, 'not sdp at all', { 'if-match': etag }));
    expect(garbage.status).toBe(400);
  });

  it('keeps the 50-candidate cap (429 with limit)', async () => {
    const { tok, location, etag } = await published();
    expect((await call(location, patch(tok, FRAG(30), { 'if-match': etag }))).status).toBe(204);
    const over = await call(location, patch(tok, FRAG(30), { 'if-match': etag }));
    expect(over.status).toBe(429);
    expect(await over.json()).toMatchObject({
      error: { code: 'too_many_ice_candidates', limit: 50 },
    });
  });

  it('404 for an unknown session, 403 for another device', async () => {
    const { location } = await published();
    const other = await token(uid('dev'));
    expect((await call(location, patch(other, FRAG(1)))).status).toBe(403);
    const tok = await token(uid('dev'));
    const missing = await call('/api/media/whip/sessions/nope', patch(tok, FRAG(1)));
    expect(missing.status).toBe(404);
  });

  it('DELETE ends the session (200) and tells the node; then PATCH is 409', async () => {
    const { tok, location, nodeId, sessionId } = await published();
    const res = await call(location, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${tok}` },
    });
    expect(res.status).toBe(200);
    expect((await nodeRequests(nodeId)).map((r) => `${r.method} ${r.path}`)).toContain(
      `DELETE /internal/v1/sessions/${sessionId}?reason=closed_by_client`,
    );
    expect((await sessionsOf(tok))[0]).toMatchObject({ state: 'closed' });
    const after = await call(location, patch(tok, FRAG(1)));
    expect(after.status).toBe(409);
  });

  it('405 with Allow for GET or POST on the resource', async () => {
    const { tok, location } = await published();
    const res = await call(location, authed(tok, 'GET'));
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('PATCH, DELETE, OPTIONS');
  });
});

describe('WHEP: POST /api/media/whep/:room[/:participant]', () => {
  it('creates a viewing session of the room, or of one participant', async () => {
    const nodeId = uid('node');
    await heartbeat(nodeId);
    const tok = await token(uid('dev'));
    const room = uid('room');
    const all = await call(`/api/media/whep/${room}`, sdpRequest(tok, OFFER));
    expect(all.status).toBe(201);
    expect(all.headers.get('location')).toMatch(/^\/api\/media\/whep\/sessions\/[^/]+$/);
    const one = await call(`/api/media/whep/${room}/someone`, sdpRequest(tok, OFFER));
    expect(one.status).toBe(201);
    const modes = (await nodeRequests(nodeId))
      .filter((r) => r.path.endsWith('/offer'))
      .map((r) => (JSON.parse(r.body) as { mode: unknown }).mode);
    expect(modes).toEqual([{ kind: 'view' }, { kind: 'view', participant: 'someone' }]);
    expect((await sessionsOf(tok)).map((s) => s.metadata)).toEqual([
      { protocol: 'whep' },
      { protocol: 'whep' },
    ]);
    const location = one.headers.get('location') ?? '';
    const del = await call(location, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${tok}` },
    });
    expect(del.status).toBe(200);
  });

  it('applies the same errors: 415, 400, 401, 403', async () => {
    await heartbeat(uid('node'));
    const tok = await token(uid('dev'), { room: 'mine' });
    expect((await call('/api/media/whep/mine', sdpRequest(tok, OFFER, 'text/plain'))).status).toBe(
      415,
    );
    expect((await call('/api/media/whep/mine', sdpRequest(tok, 'v=1'))).status).toBe(400);
    expect((await call('/api/media/whep/mine', sdpRequest(undefined, OFFER))).status).toBe(401);
    expect((await call('/api/media/whep/theirs/x', sdpRequest(tok, OFFER))).status).toBe(403);
    expect(await sessionsOf(tok)).toEqual([]);
  });
});
