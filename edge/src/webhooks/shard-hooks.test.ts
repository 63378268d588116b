/**
 * The webhook events ShardCore raises as a session lives (created, connected + joined, track,
 * left + ended), and that with webhooks off it raises none.
 */
import { describe, expect, it } from 'vitest';
import type { EventBody, NodeEvent, SessionEvent } from '../../../shared/events.ts';
import type { SessionRecord } from '../session/view.ts';
import type { SessionRepo } from '../shard/session-repo.ts';
import { ShardCore } from '../shard/shard-core.ts';
import type { WebhookEvent } from './events.ts';
import type { WebhookSink } from './sink.ts';

class MapRepo implements SessionRepo {
  readonly rows = new Map<string, SessionRecord>();
  insert(r: SessionRecord) {
    this.rows.set(r.id, structuredClone(r));
  }
  save(r: SessionRecord) {
    this.rows.set(r.id, structuredClone(r));
  }
  get(id: string) {
    const r = this.rows.get(id);
    return r ? structuredClone(r) : undefined;
  }
  peek(id: string) {
    return this.rows.get(id);
  }
  delete(id: string) {
    this.rows.delete(id);
  }
  list() {
    return [];
  }
  openOnNode() {
    return [];
  }
  due() {
    return [];
  }
  nextDeadline() {
    return null;
  }
  activeCount() {
    return 0;
  }
  openForDevice() {
    return 0;
  }
}

function setup(sink: WebhookSink | undefined) {
  const core = new ShardCore({
    sessions: new MapRepo(),
    ingest: { get: () => undefined, put() {}, delete() {} },
    events: {
      append: (r: SessionRecord, body: EventBody, now: number) =>
        ({ ...body, seq: ++r.lastSeq, sessionId: r.id, at: String(now) }) as SessionEvent,
      range: () => [],
    },
    counters: { count() {} },
    sockets: { publish() {}, lastActivity: () => null, sweep() {} },
    callNode: async () => ({ type: 'answer', sdp: 'v=0\r\n' }),
    config: {
      CONNECT_TIMEOUT_MS: 60_000,
      SESSION_IDLE_TIMEOUT_MS: 1_800_000,
      SESSION_RETENTION_MS: 3_600_000,
      MAX_ICE_CANDIDATES: 50,
      MAX_SESSIONS_PER_DEVICE: 5,
    },
    releaseRoom: async () => {},
    transaction: (fn) => fn(),
    wake() {},
    ...(sink ? { webhooks: sink } : {}),
  });
  const node = { id: 'n1', region: 'local', url: 'http://127.0.0.1:1', distanceKm: null };
  const input = { sessionId: 's1', deviceId: 'd1', room: 'lobby', echo: false, metadata: null };
  return { core, node, input };
}

const lifecycle: NodeEvent[] = [
  { sessionId: 's1', type: 'state', state: 'connected' },
  {
    sessionId: 's1',
    type: 'track',
    action: 'added',
    trackId: 't1',
    kind: 'video',
    publisherSessionId: 's1',
  } as NodeEvent,
  // A track of another participant, seen by this session: not this session's to announce.
  {
    sessionId: 's1',
    type: 'track',
    action: 'added',
    trackId: 't9',
    kind: 'audio',
    publisherSessionId: 's2',
  } as NodeEvent,
];

describe('ShardCore webhook events', () => {
  it('raises each lifecycle event once, in order, and flushes before the room is released', async () => {
    const emitted: WebhookEvent[] = [];
    let flushedBeforeEnd = -1;
    const sink: WebhookSink = {
      enabled: true,
      pending: false,
      emit: (e) => emitted.push(e),
      flush: async () => {
        flushedBeforeEnd = emitted.length;
      },
    };
    const { core, node, input } = setup(sink);
    const caller = { deviceId: 'd1', room: undefined, admin: false };
    core.create(input, node, 1_000);
    await core.offer('s1', caller, 'v=0\r\n', 1_500);
    await core.applyNodeEvents('n1', lifecycle, 2_000);
    // The node reporting `connected` again raises nothing new.
    await core.applyNodeEvents('n1', [lifecycle[0] as NodeEvent], 2_500);
    await core.close('s1', { deviceId: 'd1', room: undefined, admin: false }, 3_000);
    expect(emitted.map((e) => e.type)).toEqual([
      'session.created',
      'session.connected',
      'participant.joined',
      'track.published',
      // Still published when the session ended: unpublished with it.
      'track.unpublished',
      'participant.left',
      'session.ended',
    ]);
    expect(flushedBeforeEnd).toBe(7);
    expect(emitted.every((e) => e.key === 'room:lobby')).toBe(true);
    expect(emitted.at(-1)?.data).toMatchObject({
      sessionId: 's1',
      state: 'closed',
      reason: 'closed_by_client',
    });
    expect(emitted[3]?.data).toEqual({
      room: 'lobby',
      sessionId: 's1',
      trackId: 't1',
      kind: 'video',
    });
  });

  it('a session that never connected ends without participant.left', async () => {
    const emitted: WebhookEvent[] = [];
    const { core, node, input } = setup({
      enabled: true,
      pending: false,
      emit: (e) => emitted.push(e),
      flush: async () => {},
    });
    core.create(input, node, 1_000);
    await core.close('s1', { deviceId: 'd1', room: undefined, admin: false }, 3_000);
    expect(emitted.map((e) => e.type)).toEqual(['session.created', 'session.ended']);
  });

  it('with webhooks off nothing is emitted or flushed', async () => {
    let calls = 0;
    const { core, node, input } = setup({
      enabled: false,
      pending: false,
      emit: () => calls++,
      flush: async () => {
        calls++;
      },
    });
    const caller = { deviceId: 'd1', room: undefined, admin: false };
    core.create(input, node, 1_000);
    await core.offer('s1', caller, 'v=0\r\n', 1_500);
    await core.applyNodeEvents('n1', lifecycle, 2_000);
    await core.close('s1', caller, 3_000);
    expect(calls).toBe(0);
  });
});
