import { afterEach, describe, expect, it } from 'vitest';
import { signToken, verifyToken } from '../../edge/src/auth/token.ts';
import { type DemoTokenService, startDemoTokenService } from './demo-tokens.ts';

const SECRET = 'test-secret-0123456789';
const ORIGIN = 'http://127.0.0.1:8787';
let service: DemoTokenService | undefined;

afterEach(async () => {
  await service?.close();
  service = undefined;
});

async function start(): Promise<DemoTokenService> {
  service = await startDemoTokenService({
    host: '127.0.0.1',
    allowOrigin: ORIGIN,
    sign: (device, ttlSeconds) => signToken(SECRET, { device, ttlSeconds }),
  });
  return service;
}

function mint(s: DemoTokenService, body: unknown, key = s.key): Promise<Response> {
  return fetch(`${s.url}/token`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

describe('the demo token service', () => {
  it('signs a non-admin token for the name asked, for the edge page only', async () => {
    const s = await start();
    const res = await mint(s, { device: 'alice' });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    const { token } = (await res.json()) as { token: string };
    expect(await verifyToken(SECRET, token)).toEqual({
      deviceId: 'alice',
      room: undefined,
      admin: false,
    });
  });

  it('refuses a caller without the key from the link', async () => {
    const s = await start();
    const res = await mint(s, { device: 'alice' }, 'f'.repeat(32));
    expect(res.status).toBe(401);
    expect(await res.json()).toMatchObject({ error: { code: 'unauthorized' } });
  });

  it('refuses names the API would refuse, and bodies that are not JSON or too big', async () => {
    const s = await start();
    for (const body of [{ device: 'a b' }, { device: '' }, { device: 'x'.repeat(65) }, {}]) {
      const res = await mint(s, body);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ error: { code: 'invalid_request' } });
    }
    const big = await mint(s, { device: 'a', pad: 'x'.repeat(2_000) });
    expect(big.status).toBe(413);
  });

  it('answers the browser preflight, and nothing but POST /token', async () => {
    const s = await start();
    const preflight = await fetch(`${s.url}/token`, { method: 'OPTIONS' });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
    expect((await fetch(`${s.url}/other`)).status).toBe(404);
    expect((await fetch(`${s.url}/token`)).status).toBe(405);
  });
});
