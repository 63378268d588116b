import { describe, expect, it } from 'vitest';
import { call } from './support/edge.ts';

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
});
