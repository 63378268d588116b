import { describe, expect, it } from 'vitest';
import { authed, call, token, uid } from './support/edge.ts';

describe('health, demo page, openapi, unknown routes', () => {
  it('GET /healthz is 200', async () => {
    const res = await call('/healthz');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('GET / serves the demo page as html', async () => {
    const res = await call('/');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await res.text()).toContain('<html');
  });

  it('unknown routes are 404 not_found in the error shape', async () => {
    const res = await call('/nope');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'no such route' } });
  });

  it('every answer carries one x-request-id: handler replies, errors, and a shard-made Response', async () => {
    const tok = await token(uid('dev'));
    const replies = [
      await call('/healthz'),
      await call('/nope'),
      await call('/api/media/sessions'),
      await call('/api/media/sessions', authed(tok, 'GET')),
      // An upgrade for a session that does not exist: the shard's own 404 Response.
      await call(`/api/media/sessions/${'a'.repeat(32)}/events`, {
        headers: { authorization: `Bearer ${tok}`, upgrade: 'websocket' },
      }),
    ];
    expect(replies.map((res) => res.status)).toEqual([200, 404, 401, 200, 404]);
    const ids = replies.map((res) => res.headers.get('x-request-id'));
    for (const id of ids) expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
