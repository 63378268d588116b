/**
 * Request metrics of the edge Worker: counted per isolate, flushed into a session shard, and
 * served with everything else at GET /api/media/metrics.
 */
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { LATENCY_BUCKETS_SECONDS } from '../src/metrics/definitions.ts';
import { FLUSH_INTERVAL_MS } from '../src/metrics/request-flush.ts';
import { authed, call, createSession, heartbeat, shardCount, token, uid } from './support/edge.ts';

/** Every sample line of an exposition, as `name{labels}` -> value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

async function scrape(): Promise<{ text: string; values: Map<string, number> }> {
  const admin = await token(uid('ops'), { admin: true });
  const res = await call('/api/media/metrics', authed(admin, 'GET'));
  expect(res.status).toBe(200);
  const text = await res.text();
  return { text, values: samples(text) };
}

const requests = (method: string, route: string, status: string) =>
  `media_edge_http_requests_total{method="${method}",route="${route}",status="${status}"}`;

describe('edge request metrics', () => {
  it('counts requests by method, route pattern and status, and times them by route', async () => {
    const before = (await scrape()).values;
    const nodeId = uid('node');
    await heartbeat(nodeId);
    const tok = await token(uid('dev'));
    const secret = uid('session-id-that-must-not-appear');
    await call('/healthz');
    await call('/healthz');
    expect((await call(`/api/media/sessions/${secret}`, authed(tok, 'GET'))).status).toBe(404);
    expect((await call('/api/media/sessions/x', { method: 'GET' })).status).toBe(401);
    expect((await call('/no/such/route')).status).toBe(404);
    const session = await createSession(tok);
    expect((await call(session.links.self, authed(tok, 'DELETE'))).status).toBe(204);

    const { text, values } = await scrape();
    const delta = (key: string) => (values.get(key) ?? 0) - (before.get(key) ?? 0);
    expect(delta(requests('GET', '/healthz', '200'))).toBe(2);
    expect(delta(requests('GET', '/api/media/sessions/:id', '404'))).toBe(1);
    expect(delta(requests('GET', '/api/media/sessions/:id', '401'))).toBe(1);
    expect(delta(requests('GET', 'unmatched', '404'))).toBe(1);
    expect(delta(requests('POST', '/api/media/sessions', '201'))).toBe(1);
    expect(delta(requests('DELETE', '/api/media/sessions/:id', '204'))).toBe(1);
    // The first scrape is counted too (it was recorded after its own flush).
    expect(delta(requests('GET', '/api/media/metrics', '200'))).toBe(1);
    // Signed node calls are requests of the edge as well.
    expect(delta(requests('POST', '/internal/v1/nodes/heartbeat', '200'))).toBe(1);
    expect(text).not.toContain(secret);

    const healthz = '{method="GET",route="/healthz"';
    const buckets = [...values].filter(([k]) =>
      k.startsWith(`media_edge_http_duration_seconds_bucket${healthz},`),
    );
    expect(buckets.map(([k]) => /le="([^"]+)"/.exec(k)?.[1])).toEqual([
      ...LATENCY_BUCKETS_SECONDS.map(String),
      '+Inf',
    ]);
    const count = values.get(`media_edge_http_duration_seconds_count${healthz}}`) ?? 0;
    expect(buckets.at(-1)?.[1]).toBe(count);
    expect(count).toBe(values.get(requests('GET', '/healthz', '200')));
    expect(values.get(`media_edge_http_duration_seconds_sum${healthz}}`)).toBeGreaterThanOrEqual(0);
  });

  it('flushes into a shard on its own within the flush interval, without a scrape', async () => {
    await scrape(); // flushes whatever earlier tests left in this isolate
    const healthzInShards = async () => {
      let total = 0;
      for (let i = 0; i < shardCount(); i++) {
        const shard = env.SESSION_SHARD.getByName(`shard-${i}`);
        for (const s of await shard.metrics(i)) {
          if (s.metric === 'http_requests' && s.label.includes('/healthz')) total += s.value;
        }
      }
      return total;
    };
    const before = await healthzInShards();
    for (let i = 0; i < 3; i++) expect((await call('/healthz')).status).toBe(200);
    expect(await healthzInShards()).toBe(before);
    const deadline = Date.now() + FLUSH_INTERVAL_MS + 3_000;
    let after = before;
    while (Date.now() < deadline && after < before + 3) {
      await new Promise((r) => setTimeout(r, 250));
      after = await healthzInShards();
    }
    expect(after).toBe(before + 3);
  });
});
