import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { MediaError } from '../../../shared/errors.ts';
import type { AppEnv } from './context.ts';
import { onError } from './on-error.ts';

function appThrowing(err: unknown) {
  const app = new Hono<AppEnv>();
  app.use('*', async (c, next) => {
    c.set('requestId', 'req-1');
    await next();
  });
  app.get('/', () => {
    throw err;
  });
  app.onError(onError);
  return app;
}

afterEach(() => vi.restoreAllMocks());

describe('the single error handler', () => {
  it('answers a MediaError with its status, body and Retry-After', async () => {
    const res = await appThrowing(new MediaError('draining', 'busy', { node: 'n1' }, 5)).request(
      '/',
    );
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    expect(await res.json()).toEqual({ error: { code: 'draining', message: 'busy', node: 'n1' } });
  });

  it('maps zod errors to 400 with the field and HTTPExceptions by status', async () => {
    const zodError = z
      .object({ a: z.object({ b: z.number() }) })
      .safeParse({ a: { b: 'x' } }).error;
    const res = await appThrowing(zodError).request('/');
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_request', field: 'a.b' } });
    const http = await appThrowing(new HTTPException(413, { message: 'too big' })).request('/');
    expect(http.status).toBe(413);
    expect(await http.json()).toEqual({ error: { code: 'payload_too_large', message: 'too big' } });
  });

  it('logs unknown errors with the request id and answers a plain 500 without internals', async () => {
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    const res = await appThrowing(new TypeError('secret detail at /srv/x.ts:12')).request('/');
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(JSON.parse(text)).toEqual({
      error: { code: 'internal_error', message: 'internal error', requestId: 'req-1' },
    });
    expect(text).not.toMatch(/secret|x\.ts|at /);
    const line = JSON.parse(String(logged.mock.calls[0]?.[0]));
    expect(line).toMatchObject({ level: 'error', event: 'unhandled_error', requestId: 'req-1' });
  });
});
