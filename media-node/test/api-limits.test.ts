import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveNodeKey, signRequest, toNode } from '../../shared/signing.ts';
import { sampleValue } from '../../test/support/prometheus.ts';
import { TestClient } from './helpers/test-client.ts';
import {
  hostCandidate,
  scrape,
  startTestNode,
  TEST_SECRET,
  type TestNode,
} from './helpers/test-node.ts';

describe('internal API: auth, validation and limits', () => {
  let t: TestNode;
  /** Taken just before the node is created: its process start is no earlier. */
  let startedAt = 0;
  beforeAll(async () => {
    startedAt = Date.now();
    t = await startTestNode({ MAX_SESSIONS: '2', MAX_BODY_BYTES: '8192' });
  });
  afterAll(async () => {
    await t.close();
  });

  it('refuses unsigned, badly signed, expired and replayed requests with 401', async () => {
    const path = '/internal/v1/sessions/nope';
    const unsigned = await t.api.request('GET', path, undefined, { sign: false });
    expect(unsigned.status).toBe(401);
    expect(unsigned.json.error.code).toBe('unauthorized');

    const key = await deriveNodeKey(TEST_SECRET, 'test-node');
    const req = { method: 'GET', path, body: '', party: toNode('test-node') };
    const wrongKey = await signRequest('another-secret-0123456789', req);
    expect((await fetch(t.node.url + path, { headers: wrongKey })).status).toBe(401);
    // The master secret is not a node key.
    const master = await signRequest(TEST_SECRET, req);
    expect((await fetch(t.node.url + path, { headers: master })).status).toBe(401);

    const old = await signRequest(key, req, Date.now() - 120_000);
    expect((await fetch(t.node.url + path, { headers: old })).status).toBe(401);

    const once = await signRequest(key, req);
    expect((await fetch(t.node.url + path, { headers: once })).status).toBe(404);
    const replay = await fetch(t.node.url + path, { headers: once });
    expect(replay.status).toBe(401);

    // A signature covers the path: the same headers on another path are refused.
    const other = await signRequest(key, req);
    expect((await fetch(`${t.node.url}/internal/v1/rooms/x`, { headers: other })).status).toBe(401);
  });

  it('refuses a request signed for another node, even with that node key', async () => {
    const path = '/internal/v1/sessions/nope';
    const otherKey = await deriveNodeKey(TEST_SECRET, 'other-node');
    const forOther = await signRequest(otherKey, {
      method: 'GET',
      path,
      body: '',
      party: toNode('other-node'),
    });
    expect((await fetch(t.node.url + path, { headers: forOther })).status).toBe(401);
  });

  it('refuses a request signed before the process started (a replay across a restart)', async () => {
    const path = '/internal/v1/sessions/nope';
    const key = await deriveNodeKey(TEST_SECRET, 'test-node');
    const req = { method: 'GET', path, body: '', party: toNode('test-node') };
    // Inside the 30 s window, never seen by this process: only the start floor refuses it.
    const beforeStart = await signRequest(key, req, startedAt - 1_000);
    expect((await fetch(t.node.url + path, { headers: beforeStart })).status).toBe(401);
    expect((await fetch(t.node.url + path, { headers: await signRequest(key, req) })).status).toBe(
      404,
    );
  });

  it('validates bodies and routes', async () => {
    const bad = await t.api.request('POST', '/internal/v1/sessions/s1/offer', {
      room: 'r',
      sdp: 'x',
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe('invalid_request');
    const notSdp = await t.api.request('POST', '/internal/v1/sessions/s1/offer', {
      room: 'r',
      deviceId: 'd',
      echo: false,
      sdp: 'not an sdp',
    });
    expect(notSdp.status).toBe(400);
    expect(notSdp.json.error.field).toBe('sdp');
    expect((await t.api.request('GET', '/internal/v1/sessions/s1')).status).toBe(404);
    const big = await t.api.request('POST', '/internal/v1/sessions/s1/answer', {
      sdp: 'x'.repeat(10_000),
    });
    expect(big.status).toBe(413);
    expect(big.json.error).toMatchObject({ code: 'payload_too_large', limit: 8192 });
    expect((await t.api.request('GET', '/internal/v1/nowhere')).status).toBe(404);
    const noOffer = await t.api.request('POST', '/internal/v1/sessions/s1/answer', { sdp: 'v=0' });
    expect(noOffer.json.error.code).toBe('session_not_found');
  });

  it('refuses the 51st candidate with 429 and counts it; capacity gives 503 + Retry-After', async () => {
    const a = new TestClient(t, 'cand-1', 1, { echo: true });
    const b = new TestClient(t, 'cand-2', 2, { echo: true });
    try {
      await a.join();
      await b.join();
      const path = '/internal/v1/sessions/cand-1/candidates';
      const first = await t.api.request('POST', path, {
        candidates: Array.from({ length: 30 }, (_, i) => hostCandidate(i)),
      });
      expect(first.status).toBe(204);
      const fill = await t.api.request('POST', path, {
        candidates: Array.from({ length: 20 }, (_, i) => hostCandidate(30 + i)),
      });
      expect(fill.status).toBe(204);
      // End-of-candidates markers are not candidates.
      expect(
        (await t.api.request('POST', path, { candidates: [{ candidate: '', sdpMid: '0' }] }))
          .status,
      ).toBe(204);
      const over = await t.api.request('POST', path, { candidates: [hostCandidate(50)] });
      expect(over.status).toBe(429);
      expect(over.json.error).toMatchObject({ code: 'too_many_ice_candidates', limit: 50 });
      expect((await t.api.request('GET', '/internal/v1/sessions/cand-1')).json.iceCandidates).toBe(
        50,
      );
      expect(sampleValue(await scrape(t), 'media_ice_candidates_rejected_total')).toBe(1);

      // A server offer is not pending: an answer is out of place.
      const stray = await t.api.request('POST', '/internal/v1/sessions/cand-1/answer', {
        sdp: a.pc.localDescription?.sdp.replace('a=setup:actpass', 'a=setup:active'),
      });
      expect(stray.status).toBe(409);
      expect(stray.json.error.code).toBe('invalid_state');

      const third = new TestClient(t, 'cand-3', 3);
      await t.api
        .request('POST', '/internal/v1/sessions/cand-3/offer', {
          room: 'r3',
          deviceId: 'web-3',
          echo: false,
          sdp: (await third.pc.createOffer()).sdp,
        })
        .then((full) => {
          expect(full.status).toBe(503);
          expect(full.json.error.code).toBe('capacity_exceeded');
          expect(Number(full.headers.get('retry-after'))).toBeGreaterThan(0);
        });
      await third.close();
      expect((await fetch(`${t.node.url}/readyz`)).status).toBe(503);
    } finally {
      await a.close();
      await b.close();
    }
  });
});
