/** Trust and abuse at the edge: rate limits, token lifetime, the private room namespace, secrets. */
import { createExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { sign } from 'hono/jwt';
import { describe, expect, it } from 'vitest';
import { DEVELOPMENT_SECRETS } from '../../shared/dev-secrets.ts';
import { createApp } from '../src/http/app.ts';
import { authed, call, createSession, heartbeat, ORIGIN, token, uid } from './support/edge.ts';
import { TEST_JWT_SECRET } from './support/fake-node-protocol.ts';

const DEVICE_BURST = Number(env.RATE_LIMIT_DEVICE_BURST);
const IP_BURST = Number(env.RATE_LIMIT_IP_BURST);

describe('429 rate_limited', () => {
  // Small buckets that refill slowly (1/s), so a loaded machine cannot refill them while the
  // loop runs. The calls below never reach a Durable Object (400 and 403 come first).
  const BURST = 5;
  const limited = {
    ...env,
    RATE_LIMIT_DEVICE_PER_S: '1',
    RATE_LIMIT_DEVICE_BURST: String(BURST),
    RATE_LIMIT_DEVICE_READ_PER_S: '1',
    RATE_LIMIT_DEVICE_READ_BURST: String(BURST),
  };
  const ctx = createExecutionContext();
  const app = createApp();
  const write = (tok: string) =>
    app.fetch(
      new Request(`${ORIGIN}/api/media/sessions`, authed(tok, 'POST', { room: 7 })),
      limited,
      ctx,
    );
  const read = (tok: string) =>
    app.fetch(new Request(`${ORIGIN}/api/media/nodes`, authed(tok, 'GET')), limited, ctx);

  /** Calls `send` until refused (bounded), checking the 429's headers and body. */
  async function untilRefused(send: () => Response | Promise<Response>) {
    const statuses: number[] = [];
    while (statuses.at(-1) !== 429 && statuses.length < 3 * BURST) {
      const res = await send();
      statuses.push(res.status);
      if (res.status === 429) {
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
        expect(res.headers.get('ratelimit-limit')).toBe(String(BURST));
        expect(res.headers.get('ratelimit-remaining')).toBe('0');
        expect(await res.json()).toMatchObject({
          error: { code: 'rate_limited', burst: BURST },
        });
      }
    }
    return statuses;
  }

  it('limits the writes of one device past their burst, with Retry-After and RateLimit headers; others go on', async () => {
    const noisy = await token(uid('dev'));
    // An invalid body: refused with 400 after the limiter, so the loop costs no node.
    const statuses = await untilRefused(() => write(noisy));
    expect(statuses.slice(0, BURST).every((s) => s === 400)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
    expect((await write(noisy)).status).toBe(429);
    // Reads have a bucket of their own: the device can still look.
    expect((await read(noisy)).status).toBe(403);
    expect((await write(await token(uid('dev')))).status).toBe(400);
  });

  it('limits the reads of one device past their own burst, leaving its writes alone', async () => {
    const noisy = await token(uid('dev'));
    const statuses = await untilRefused(() => read(noisy));
    // The burst passes (403: not an admin), then reads are refused.
    expect(statuses.slice(0, BURST).every((s) => s === 403)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
    expect((await write(noisy)).status).toBe(400);
  });

  it('applies the default limits of wrangler.toml through the deployed worker', async () => {
    const noisy = await token(uid('dev'));
    const statuses: number[] = [];
    while (statuses.at(-1) !== 429 && statuses.length < 3 * DEVICE_BURST) {
      statuses.push((await call('/api/media/sessions', authed(noisy, 'POST', { room: 7 }))).status);
    }
    expect(statuses.slice(0, DEVICE_BURST).every((s) => s === 400)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
  });

  it('limits refused calls per client address (CF-Connecting-IP), not other addresses', async () => {
    const from = (ip: string) => ({ authorization: 'Bearer nope', 'cf-connecting-ip': ip });
    const statuses: number[] = [];
    while (statuses.at(-1) !== 429 && statuses.length < 3 * IP_BURST) {
      statuses.push((await call('/api/media/sessions', { headers: from('198.51.100.7') })).status);
    }
    expect(statuses.slice(0, IP_BURST).every((s) => s === 401)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
    expect((await call('/api/media/sessions', { headers: from('198.51.100.8') })).status).toBe(401);
    // A valid token from the limited address is the device's business, not the address's.
    const tok = await token(uid('dev'));
    const res = await call('/api/media/sessions', {
      headers: { authorization: `Bearer ${tok}`, 'cf-connecting-ip': '198.51.100.7' },
    });
    expect(res.status).toBe(200);
  });
});

describe('token lifetime and clock skew', () => {
  it('refuses a 100-year token with 401 naming the maximum; accepts iat 5 s ahead', async () => {
    const now = Math.floor(Date.now() / 1000);
    const century = await sign(
      { sub: uid('dev'), iat: now, exp: now + 100 * 365 * 86_400 },
      TEST_JWT_SECRET,
      'HS256',
    );
    const res = await call('/api/media/sessions', authed(century, 'GET'));
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({
      error: { code: 'unauthorized', message: expect.stringMatching(/MAX_TOKEN_TTL_S/) },
    });
    const ahead = await sign({ sub: uid('dev'), iat: now + 5, exp: now + 600 }, TEST_JWT_SECRET);
    expect((await call('/api/media/sessions', authed(ahead, 'GET'))).status).toBe(200);
  });
});

describe('private room namespace', () => {
  it('refuses a client room named p-<another session id> with 400 and the field', async () => {
    await heartbeat(uid('node'));
    const victim = await createSession(await token(uid('dev')));
    expect(victim.room).toBe(`p-${victim.sessionId}`);
    const attacker = await token(uid('dev'));
    for (const room of [victim.room, 'p-lobby']) {
      const res = await call('/api/media/sessions', authed(attacker, 'POST', { room }));
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({
        error: { code: 'invalid_request', field: 'room' },
      });
    }
  });
});

describe('development secrets outside local development', () => {
  const app = createApp();
  const request = () =>
    new Request('http://edge.test/api/media/sessions', {
      headers: { authorization: 'Bearer x' },
    });

  it('answers 503 misconfigured on every route with a committed secret, unless ENVIRONMENT=development', async () => {
    for (const [name, value] of [
      ['JWT_SECRET', DEVELOPMENT_SECRETS[0]],
      ['NODE_SHARED_SECRET', DEVELOPMENT_SECRETS[1]],
      ['NODE_SHARED_SECRET', DEVELOPMENT_SECRETS[2]],
    ] as const) {
      // ENVIRONMENT unset: the pool's env has `development` from .dev.vars.
      const misconfigured = { ...env, ENVIRONMENT: '', [name]: value };
      for (const req of [request(), new Request('http://edge.test/healthz')]) {
        const res = await app.fetch(req, misconfigured);
        expect(res.status).toBe(503);
        const body = (await res.json()) as { error: { code: string; message: string } };
        expect(body.error.code).toBe('misconfigured');
        expect(body.error.message).not.toContain(value ?? '');
      }
      const local = { ...misconfigured, ENVIRONMENT: 'development' };
      expect((await app.fetch(request(), local)).status).toBe(401);
    }
  });
});
