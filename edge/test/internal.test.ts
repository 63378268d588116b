import { describe, expect, it } from 'vitest';
import type { SessionView } from '../../shared/api.ts';
import { HEARTBEAT_INTERVAL_MS } from '../../shared/limits.ts';
import { signRequest } from '../../shared/signing.ts';
import {
  authed,
  call,
  heartbeatBody,
  negotiatingSession,
  nodeEvents,
  nodeSignature,
  signedCall,
  token,
  uid,
} from './support/edge.ts';
import { TEST_NODE_SECRET } from './support/fake-node-protocol.ts';

const HEARTBEAT = '/internal/v1/nodes/heartbeat';

async function expect401(res: Response, reason: RegExp): Promise<void> {
  expect(res.status).toBe(401);
  const body = (await res.json()) as { error: { code: string; message: string } };
  expect(body.error.code).toBe('unauthorized');
  expect(body.error.message).toMatch(reason);
}

describe('signed internal routes', () => {
  it('refuses unsigned, badly signed, expired and tampered requests with 401', async () => {
    const nodeId = uid('node');
    const text = JSON.stringify(heartbeatBody(nodeId));
    await expect401(await call(HEARTBEAT, { method: 'POST', body: text }), /missing_headers/);
    await expect401(
      await signedCall(HEARTBEAT, JSON.parse(text), 'wrong-secret-0123456789'),
      /bad_signature/,
    );
    const old = await nodeSignature(nodeId, HEARTBEAT, text, { now: Date.now() - 120_000 });
    await expect401(await call(HEARTBEAT, { method: 'POST', body: text, headers: old }), /expired/);
    const headers = await nodeSignature(nodeId, HEARTBEAT, text);
    const tampered = text.replace('"ready"', '"draining"');
    await expect401(
      await call(HEARTBEAT, { method: 'POST', body: tampered, headers }),
      /bad_signature/,
    );
    const events = await nodeSignature(nodeId, HEARTBEAT, text);
    await expect401(
      await call('/internal/v1/events', { method: 'POST', body: text, headers: events }),
      /bad_signature/,
    );
  });

  it('refuses a replayed heartbeat and a replayed event batch with 401', async () => {
    const hbNode = uid('node');
    const text = JSON.stringify(heartbeatBody(hbNode));
    const headers = await nodeSignature(hbNode, HEARTBEAT, text);
    const first = await call(HEARTBEAT, { method: 'POST', body: text, headers });
    expect(first.status).toBe(200);
    expect(await first.json()).toEqual({ heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS });
    await expect401(await call(HEARTBEAT, { method: 'POST', body: text, headers }), /replayed/);

    const { session, nodeId } = await negotiatingSession();
    const batch = JSON.stringify({
      nodeId,
      events: [{ sessionId: session.sessionId, type: 'state', state: 'connected' }],
    });
    const path = '/internal/v1/events';
    const signed = await nodeSignature(nodeId, path, batch);
    expect((await call(path, { method: 'POST', body: batch, headers: signed })).status).toBe(204);
    await expect401(await call(path, { method: 'POST', body: batch, headers: signed }), /replayed/);
  });

  it('validates signed bodies with the shared schemas (400 with the field)', async () => {
    const res = await signedCall(HEARTBEAT, { ...heartbeatBody(uid('node')), state: 'sleepy' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'invalid_request', field: 'state' } });
    const empty = await signedCall('/internal/v1/events', { nodeId: 'n', events: [] });
    expect(empty.status).toBe(400);
  });
});

describe('node events', () => {
  it('apply state, tracks and close to the session', async () => {
    const { tok, session, nodeId, device } = await negotiatingSession();
    const id = session.sessionId;
    const track = {
      trackId: 't1',
      kind: 'video' as const,
      publisherSessionId: id,
      publisherDeviceId: device,
    };
    const res = await nodeEvents(nodeId, [
      { sessionId: id, type: 'state', state: 'connected' },
      { sessionId: id, type: 'track', action: 'added', ...track },
      {
        sessionId: id,
        type: 'track',
        action: 'added',
        ...track,
        trackId: 'other',
        publisherSessionId: 'x',
      },
    ]);
    expect(res.status).toBe(204);
    let view = (await (await call(session.links.self, authed(tok, 'GET'))).json()) as SessionView;
    expect(view).toMatchObject({ state: 'connected', tracks: [{ trackId: 't1', kind: 'video' }] });
    await nodeEvents(nodeId, [{ sessionId: id, type: 'closed', reason: 'ice_failed' }]);
    view = (await (await call(session.links.self, authed(tok, 'GET'))).json()) as SessionView;
    expect(view).toMatchObject({ state: 'failed', reason: 'ice_failed' });
  });

  it('ignore events for unknown sessions and for sessions of another node', async () => {
    const { tok, session } = await negotiatingSession();
    const res = await nodeEvents(uid('node'), [
      { sessionId: session.sessionId, type: 'state', state: 'connected' },
      { sessionId: 'f'.repeat(32), type: 'state', state: 'connected' },
    ]);
    expect(res.status).toBe(204);
    const view = (await (await call(session.links.self, authed(tok, 'GET'))).json()) as SessionView;
    expect(view.state).toBe('negotiating');
  });
});

describe('node credentials', () => {
  it('a node key speaks only for its own node id; the master secret itself signs nothing', async () => {
    const victim = uid('node');
    const forger = uid('node');
    const text = JSON.stringify(heartbeatBody(victim));
    // The forger holds its own key and claims the victim's id.
    const forged = await nodeSignature(forger, HEARTBEAT, text);
    await expect401(
      await call(HEARTBEAT, { method: 'POST', body: text, headers: forged }),
      /bad_signature/,
    );
    const withMaster = await signRequest(TEST_NODE_SECRET, {
      method: 'POST',
      path: HEARTBEAT,
      body: text,
      party: `node->edge:${victim}`,
    });
    await expect401(
      await call(HEARTBEAT, { method: 'POST', body: text, headers: withMaster }),
      /bad_signature/,
    );
  });

  it('an event batch claiming another node is refused; a node cannot touch sessions it does not host', async () => {
    const { tok, session, nodeId } = await negotiatingSession();
    const forger = uid('node');
    const path = '/internal/v1/events';
    const batch = JSON.stringify({
      nodeId,
      events: [{ sessionId: session.sessionId, type: 'closed', reason: 'ice_failed' }],
    });
    await expect401(
      await call(path, {
        method: 'POST',
        body: batch,
        headers: await nodeSignature(forger, path, batch),
      }),
      /bad_signature/,
    );
    // Signed correctly as itself, the forger's events for the session are ignored.
    const own = await nodeEvents(forger, [
      { sessionId: session.sessionId, type: 'closed', reason: 'ice_failed' },
    ]);
    expect(own.status).toBe(204);
    const view = (await (await call(session.links.self, authed(tok, 'GET'))).json()) as SessionView;
    expect(view.state).toBe('negotiating');
  });

  it('refuses node URLs outside NODE_URL_ALLOW with 403 (no SSRF through a heartbeat)', async () => {
    const admin = await token('ops', { admin: true });
    for (const url of [
      'http://169.254.169.254/',
      'http://evil.example:30006',
      'http://user:pw@127.0.0.1:30006',
    ]) {
      const nodeId = uid('node');
      const res = await signedCall(HEARTBEAT, heartbeatBody(nodeId, { url }));
      expect(res.status, url).toBe(403);
      expect(await res.json()).toMatchObject({ error: { code: 'forbidden', field: 'url' } });
      const nodes = (await (await call('/api/media/nodes', authed(admin, 'GET'))).json()) as {
        nodes: Array<{ id: string }>;
      };
      expect(nodes.nodes.map((n) => n.id)).not.toContain(nodeId);
    }
  });

  it('refuses a heartbeat signed before the last accepted one, even with a fresh nonce', async () => {
    const nodeId = uid('node');
    const text = JSON.stringify(heartbeatBody(nodeId));
    const now = Date.now();
    const earlier = await nodeSignature(nodeId, HEARTBEAT, text, { now: now - 1_000 });
    const latest = await nodeSignature(nodeId, HEARTBEAT, text, { now });
    expect((await call(HEARTBEAT, { method: 'POST', body: text, headers: latest })).status).toBe(
      200,
    );
    // Inside the signature window and never seen: only the stored floor refuses it.
    await expect401(
      await call(HEARTBEAT, { method: 'POST', body: text, headers: earlier }),
      /replayed/,
    );
  });
});
