import { describe, expect, it } from 'vitest';
import {
  authed,
  call,
  heartbeat,
  negotiatingSession,
  nodeEvents,
  token,
  uid,
} from './support/edge.ts';

describe('GET /api/media/rooms/:room', () => {
  it("returns the room's participants and active speaker from its node", async () => {
    const room = uid('room');
    const { tok, session, nodeId, device } = await negotiatingSession({ room });
    const res = await call(`/api/media/rooms/${room}`, authed(tok, 'GET'));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      room,
      node: { id: nodeId, region: 'local' },
      participants: [
        { sessionId: session.sessionId, deviceId: device, state: 'connected', tracks: [] },
      ],
      activeSpeaker: session.sessionId,
    });
  });

  it('404 room_not_found for an unknown room, 400 for a bad name', async () => {
    const tok = await token(uid('dev'));
    const res = await call(`/api/media/rooms/${uid('room')}`, authed(tok, 'GET'));
    expect(res.status).toBe(404);
    expect(await res.json()).toMatchObject({ error: { code: 'room_not_found' } });
    expect((await call(`/api/media/rooms/${'x'.repeat(65)}`, authed(tok, 'GET'))).status).toBe(400);
  });
});

describe('GET /api/media/metrics', () => {
  it('aggregates shard, placer and registry counters in Prometheus text', async () => {
    const { tok, session, nodeId } = await negotiatingSession();
    await heartbeat(uid('node'), { state: 'draining' });
    await nodeEvents(nodeId, [{ sessionId: 'f'.repeat(32), type: 'state', state: 'connected' }]);
    await call(session.links.self, authed(tok, 'DELETE'));
    const admin = await token(uid('ops'), { admin: true });
    const res = await call('/api/media/metrics', authed(admin, 'GET'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toContain('# TYPE media_edge_sessions_created_total counter');
    expect(text).toMatch(/^media_edge_sessions_created_total 1$/m);
    expect(text).toMatch(/^media_edge_sessions_closed_total\{reason="closed_by_client"\} 1$/m);
    expect(text).toMatch(/^media_edge_node_events_total\{result="ignored"\} 1$/m);
    expect(text).toMatch(/^media_edge_nodes\{state="ready"\} 1$/m);
    expect(text).toMatch(/^media_edge_nodes\{state="draining"\} 1$/m);
    // No client location in these tests: placed by load.
    expect(text).toMatch(/^media_edge_placements_total\{match="fallback"\} 1$/m);
    expect(text).toMatch(/^media_edge_placements_total\{match="region"\} 0$/m);
    expect(text).toMatch(/^media_edge_registry_calls_total\{op="directory"\} 1$/m);
    expect(text).toMatch(/^media_edge_metrics_unreachable_objects 0$/m);
    expect(text).not.toMatch(new RegExp(session.sessionId));
  });
});

describe('GET /api/media/openapi.json', () => {
  it('describes every public route, with request schemas from the zod schemas', async () => {
    const res = await call('/api/media/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      openapi: string;
      paths: Record<
        string,
        Record<
          string,
          { requestBody?: { content: Record<string, { schema: { properties?: object } }> } }
        >
      >;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths).sort()).toEqual(
      [
        '/healthz',
        '/api/media/sessions',
        '/api/media/sessions/{id}',
        '/api/media/sessions/{id}/offer',
        '/api/media/sessions/{id}/answer',
        '/api/media/sessions/{id}/candidates',
        '/api/media/sessions/{id}/subscriptions/{trackId}',
        '/api/media/sessions/{id}/events',
        '/api/media/rooms/{room}',
        '/api/media/metrics',
        '/api/media/nodes',
        '/api/media/openapi.json',
        '/api/media/whip/{room}',
        '/api/media/whip/sessions/{id}',
        '/api/media/whep/{room}',
        '/api/media/whep/{room}/{participant}',
        '/api/media/whep/sessions/{id}',
      ].sort(),
    );
    const create = doc.paths['/api/media/sessions']?.post?.requestBody?.content['application/json'];
    expect(Object.keys(create?.schema.properties ?? {})).toEqual(['room', 'echo', 'metadata']);
  });
});
