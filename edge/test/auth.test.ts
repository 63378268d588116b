import { sign } from 'hono/jwt';
import { describe, expect, it } from 'vitest';
import {
  authed,
  call,
  createSession,
  heartbeat,
  negotiatingSession,
  token,
  uid,
} from './support/edge.ts';
import { TEST_JWT_SECRET } from './support/fake-node-protocol.ts';

async function expectStatus(res: Response, status: number, code: string): Promise<void> {
  expect(res.status).toBe(status);
  expect(await res.json()).toMatchObject({ error: { code } });
}

describe('client authentication', () => {
  it('401 without a token, with a bad one, an expired one, or one signed with another key', async () => {
    const now = Math.floor(Date.now() / 1000);
    const expired = await token(uid('dev'), { nowSeconds: now - 3600, ttlSeconds: 60 });
    const foreign = await sign(
      { sub: 'dev-x', exp: now + 60 },
      'another-secret-0123456789',
      'HS256',
    );
    const noExp = await sign({ sub: 'dev-x' }, TEST_JWT_SECRET, 'HS256');
    const badSub = await sign(
      { sub: 'no spaces allowed', exp: now + 60 },
      TEST_JWT_SECRET,
      'HS256',
    );
    const path = '/api/media/sessions';
    await expectStatus(await call(path), 401, 'unauthorized');
    for (const t of ['garbage', expired, foreign, noExp, badSub]) {
      await expectStatus(await call(path, authed(t, 'GET')), 401, 'unauthorized');
    }
    await expectStatus(
      await call(path, { headers: { authorization: `Basic ${btoa('a:b')}` } }),
      401,
      'unauthorized',
    );
  });

  it("403 for another device's session on every session route", async () => {
    const { session } = await negotiatingSession();
    const other = await token(uid('dev'));
    const { links } = session;
    await expectStatus(await call(links.self, authed(other, 'GET')), 403, 'forbidden');
    await expectStatus(await call(links.self, authed(other, 'DELETE')), 403, 'forbidden');
    await expectStatus(
      await call(links.offer, authed(other, 'POST', { sdp: 'v=0' })),
      403,
      'forbidden',
    );
    await expectStatus(
      await call(links.answer, authed(other, 'POST', { sdp: 'v=0' })),
      403,
      'forbidden',
    );
    const candidates = { candidates: [{ candidate: 'candidate:1 1 udp 1 127.0.0.1 9 typ host' }] };
    await expectStatus(
      await call(links.candidates, authed(other, 'POST', candidates)),
      403,
      'forbidden',
    );
    const ws = await call(links.events, {
      headers: { upgrade: 'websocket', authorization: `Bearer ${other}` },
    });
    await expectStatus(ws, 403, 'forbidden');
  });

  it('an admin reads and closes any session (closed_by_admin)', async () => {
    const { session } = await negotiatingSession();
    const admin = await token(uid('ops'), { admin: true });
    expect((await call(session.links.self, authed(admin, 'GET'))).status).toBe(200);
    expect((await call(session.links.self, authed(admin, 'DELETE'))).status).toBe(204);
    const view = await (await call(session.links.self, authed(admin, 'GET'))).json();
    expect(view).toMatchObject({ state: 'closed', reason: 'closed_by_admin' });
  });

  it('a room claim restricts which room a device joins and sees', async () => {
    await heartbeat(uid('node'));
    const room = uid('room');
    const tok = await token(uid('dev'), { room });
    await expectStatus(
      await call('/api/media/sessions', authed(tok, 'POST', { room: uid('room') })),
      403,
      'forbidden',
    );
    // Without a room the session joins the token's room, never a private room outside it.
    const session = await createSession(tok);
    expect(session.room).toBe(room);
    await expectStatus(
      await call(`/api/media/rooms/${uid('room')}`, authed(tok, 'GET')),
      403,
      'forbidden',
    );
  });

  it('the metrics need the admin scope', async () => {
    await expectStatus(
      await call('/api/media/metrics', authed(await token(uid('dev')), 'GET')),
      403,
      'forbidden',
    );
  });
});
