import { describe, expect, it } from 'vitest';
import type { ListSessionsResponse } from '../../shared/api.ts';
import { authed, call, heartbeat, token, uid } from './support/edge.ts';

const create = (tok: string, body: unknown, key?: string) =>
  call('/api/media/sessions', authed(tok, 'POST', body, key ? { 'idempotency-key': key } : {}));

describe('Idempotency-Key on POST /sessions', () => {
  it('a retried create returns the first result and creates nothing new', async () => {
    await heartbeat(uid('node'));
    const tok = await token(uid('dev'));
    const key = crypto.randomUUID();
    const first = await create(tok, { room: 'r1' }, key);
    expect(first.status).toBe(201);
    const firstBody = await first.json();
    const retry = await create(tok, { room: 'r1' }, key);
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(await retry.json()).toEqual(firstBody);
    const list = (await (
      await call('/api/media/sessions', authed(tok, 'GET'))
    ).json()) as ListSessionsResponse;
    expect(list.sessions).toHaveLength(1);
  });

  it('the same key with another body is 409 idempotency_conflict', async () => {
    await heartbeat(uid('node'));
    const tok = await token(uid('dev'));
    const key = crypto.randomUUID();
    expect((await create(tok, { room: 'r1' }, key)).status).toBe(201);
    const res = await create(tok, { room: 'r2' }, key);
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ error: { code: 'idempotency_conflict' } });
  });

  it('keys are per device, a failed create does not burn the key, and bad keys are 400', async () => {
    const tok = await token(uid('dev'));
    const key = crypto.randomUUID();
    expect((await create(tok, {}, key)).status).toBe(503); // no node yet
    await heartbeat(uid('node'));
    const ok = await create(tok, {}, key);
    expect(ok.status).toBe(201);
    const other = await create(await token(uid('dev')), {}, key);
    expect(other.status).toBe(201);
    expect(((await other.json()) as { sessionId: string }).sessionId).not.toBe(
      ((await ok.json()) as { sessionId: string }).sessionId,
    );
    const bad = await create(tok, {}, 'x'.repeat(256));
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { field: 'Idempotency-Key' } });
  });
});
