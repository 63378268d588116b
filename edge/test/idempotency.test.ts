import { evictDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { CreateSessionResponse, ListSessionsResponse } from '../../shared/api.ts';
import { authed, call, heartbeat, token, uid } from './support/edge.ts';
import { directoryAged } from './support/placement.ts';
import { age, shardOf } from './support/shards.ts';

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
    await directoryAged(); // the placer that found no node sees the new one within the max age
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

describe('Idempotency-Key expiry', () => {
  it('a key ends with its session: after a close and a restart it creates anew, never replays a dead session', async () => {
    await heartbeat(uid('node'));
    const device = uid('dev');
    const tok = await token(device);
    const key = crypto.randomUUID();
    const first = (await (await create(tok, {}, key)).json()) as CreateSessionResponse;
    const live = await create(tok, {}, key);
    expect(live.headers.get('idempotent-replayed')).toBe('true');
    expect(((await live.json()) as CreateSessionResponse).sessionId).toBe(first.sessionId);
    expect((await call(first.links.self, authed(tok, 'DELETE'))).status).toBe(204);
    await evictDurableObject(shardOf(first.sessionId));
    const again = await create(tok, {}, key);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
    const fresh = (await again.json()) as CreateSessionResponse;
    expect(fresh.sessionId).not.toBe(first.sessionId);
    expect(fresh.state).toBe('new');
    // The new session now owns the key.
    const replay = await create(tok, {}, key);
    expect(((await replay.json()) as CreateSessionResponse).sessionId).toBe(fresh.sessionId);
  });

  it('a session past its connect deadline is not replayed either', async () => {
    await heartbeat(uid('node'));
    const tok = await token(uid('dev'));
    const key = crypto.randomUUID();
    const first = (await (await create(tok, {}, key)).json()) as CreateSessionResponse;
    await age(first.sessionId, 61_000);
    const again = await create(tok, {}, key);
    expect(again.status).toBe(201);
    expect(((await again.json()) as CreateSessionResponse).sessionId).not.toBe(first.sessionId);
  });
});
