/**
 * ShardCore in Node, with its storage, sockets, node and registry as fakes: what it decides and
 * what it writes, without workerd.
 */
import { describe, expect, it } from 'vitest';
import { MediaError } from '../../../shared/errors.ts';
import type { EventBody, SessionEvent } from '../../../shared/events.ts';
import type { ScalarKey } from '../metrics/definitions.ts';
import type { PlacedNode } from '../placement/placer-core.ts';
import type { SessionRecord } from '../session/view.ts';
import type { EventLog } from './event-log.ts';
import type { IngestIce, IngestRepo } from './ingest-repo.ts';
import type { ListFilter, SessionRepo } from './session-repo.ts';
import { type CoreConfig, ShardCore } from './shard-core.ts';

const config: CoreConfig = {
  CONNECT_TIMEOUT_MS: 60_000,
  SESSION_IDLE_TIMEOUT_MS: 1_800_000,
  SESSION_RETENTION_MS: 3_600_000,
  MAX_ICE_CANDIDATES: 50,
  MAX_SESSIONS_PER_DEVICE: 2,
};

class MapRepo implements SessionRepo {
  readonly rows = new Map<string, { r: SessionRecord; deadline: number }>();
  writes = 0;
  insert(r: SessionRecord, deadline: number) {
    this.writes++;
    this.rows.set(r.id, { r: structuredClone(r), deadline });
  }
  get(id: string) {
    const row = this.rows.get(id);
    return row ? structuredClone(row.r) : undefined;
  }
  peek(id: string) {
    return this.rows.get(id)?.r;
  }
  save(r: SessionRecord, deadline: number) {
    this.writes++;
    this.rows.set(r.id, { r: structuredClone(r), deadline });
  }
  delete(id: string) {
    this.writes++;
    this.rows.delete(id);
  }
  list(f: ListFilter) {
    return [...this.rows.values()]
      .map((x) => x.r)
      .filter((r) => r.id > f.afterId && (!f.deviceId || r.deviceId === f.deviceId))
      .slice(0, f.limit);
  }
  openOnNode() {
    return [];
  }
  due(now: number) {
    return [...this.rows.values()].filter((x) => x.deadline <= now).map((x) => x.r);
  }
  nextDeadline() {
    return null;
  }
  activeCount() {
    return 0;
  }
  openForDevice(deviceId: string) {
    return [...this.rows.values()].filter(
      (x) => x.r.deviceId === deviceId && x.r.state !== 'closed' && x.r.state !== 'failed',
    ).length;
  }
}

class MapIngest implements IngestRepo {
  readonly rows = new Map<string, IngestIce>();
  get(id: string) {
    return this.rows.get(id);
  }
  put(id: string, ice: IngestIce) {
    this.rows.set(id, { ...ice });
  }
  delete(id: string) {
    this.rows.delete(id);
  }
}

type NodeCall = Parameters<import('./shard-core.ts').NodeCaller>[1];

function setup(callNode: (call: NodeCall) => Promise<unknown> = async () => undefined) {
  const sessions = new MapRepo();
  const ingest = new MapIngest();
  const counted: Array<[ScalarKey, string, number]> = [];
  const woken: number[] = [];
  let transactions = 0;
  const events: EventLog = {
    append(r: SessionRecord, body: EventBody, now: number) {
      r.lastSeq += 1;
      return { ...body, seq: r.lastSeq, sessionId: r.id, at: String(now) } as SessionEvent;
    },
    range: () => [],
  };
  const core = new ShardCore({
    sessions,
    ingest,
    events,
    counters: { count: (m, l = '', by = 1) => counted.push([m, l, by]) },
    sockets: { publish() {}, lastActivity: () => null, sweep() {} },
    callNode: (_node, call) => callNode(call),
    config,
    releaseRoom: async () => {},
    transaction: (fn) => {
      transactions++;
      return fn();
    },
    wake: (at) => woken.push(at),
  });
  const node: PlacedNode = { id: 'n1', region: 'local', url: 'http://127.0.0.1:1', distanceKm: 12 };
  const input = (sessionId: string, deviceId = 'd1') => ({
    sessionId,
    deviceId,
    room: `p-${sessionId}`,
    echo: false,
    metadata: null,
  });
  const caller = { deviceId: 'd1', room: undefined, admin: false };
  return {
    core,
    sessions,
    ingest,
    counted,
    woken,
    node,
    input,
    caller,
    transactions: () => transactions,
  };
}

describe('ShardCore', () => {
  it('caps open sessions per device; another device is not limited, an ended session frees a slot', () => {
    const t = setup();
    t.core.create(t.input('a'), t.node, 1_000);
    t.core.create(t.input('b'), t.node, 1_000);
    expect(() => t.core.create(t.input('c'), t.node, 1_000)).toThrow(MediaError);
    try {
      t.core.create(t.input('c'), t.node, 1_000);
    } catch (err) {
      expect(err).toMatchObject({ code: 'rate_limited', details: { limit: 2 } });
    }
    expect(t.sessions.rows.has('c')).toBe(false);
    t.core.create(t.input('x', 'd2'), t.node, 1_000);
    return t.core.close('a', t.caller, 2_000).then(() => {
      expect(t.core.create(t.input('c'), t.node, 3_000).sessionId).toBe('c');
      expect(t.counted.filter(([m]) => m === 'sessions_refused')).toHaveLength(2);
    });
  });

  it('reads write nothing; a change is one transaction that arms the alarm for its deadline', async () => {
    const t = setup();
    t.core.create(t.input('a'), t.node, 1_000);
    expect(t.woken).toEqual([61_000]);
    const writes = t.sessions.writes;
    const before = t.transactions();
    t.core.get('a', t.caller);
    t.core.list({ deviceId: 'd1', room: undefined, afterId: '', limit: 10 });
    expect(t.sessions.writes).toBe(writes);
    expect(t.transactions()).toBe(before);
    await t.core.offer('a', t.caller, 'v=0', 2_000).catch(() => {});
    expect(t.transactions()).toBe(before + 1);
  });

  it('an idle connected session with recent socket frames is kept, and its activity saved', async () => {
    const t = setup();
    t.core.create(t.input('a'), t.node, 0);
    const row = t.sessions.rows.get('a');
    if (!row) throw new Error('not stored');
    row.r.state = 'connected';
    row.deadline = 0;
    const core = new ShardCore({
      sessions: t.sessions,
      ingest: t.ingest,
      events: { append: (r, b) => ({ ...b, seq: ++r.lastSeq }) as SessionEvent, range: () => [] },
      counters: { count() {} },
      sockets: { publish() {}, lastActivity: () => 1_000_000, sweep() {} },
      callNode: async () => undefined,
      config,
      releaseRoom: async () => {},
      transaction: (fn) => fn(),
      wake() {},
    });
    await core.reap(1_000_000 + 60_000);
    expect(t.sessions.get('a')).toMatchObject({ state: 'connected', lastActivity: 1_000_000 });
    await core.reap(1_000_000 + config.SESSION_IDLE_TIMEOUT_MS);
    expect(t.sessions.get('a')).toMatchObject({ state: 'failed', reason: 'idle' });
  });

  it('restarts ICE of a WHIP session: re-offers with the new credentials, bumps the generation once', async () => {
    const offers: string[] = [];
    let release: () => void = () => {};
    const t = setup(async (call) => {
      if (call.path.endsWith('/offer')) {
        const sdp = (call.body as { sdp: string }).sdp;
        offers.push(sdp);
        if (offers.length === 2) await new Promise<void>((r) => (release = r));
        return { type: 'answer', sdp: `v=0 answer ${offers.length}` };
      }
      return undefined;
    });
    t.core.create(t.input('w'), t.node, 1_000);
    const offer =
      'v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\na=ice-ufrag:u1\r\na=ice-pwd:p1\r\n';
    await t.core.offer('w', t.caller, offer, 2_000, { kind: 'publish' });
    expect(t.core.iceState('w', t.caller)).toEqual({ generation: 1, ufrag: 'u1' });
    const restart = { generation: 1, ufrag: 'u2', pwd: 'p2', candidates: [] };
    const first = t.core.restartIce('w', t.caller, restart, 3_000);
    await Promise.resolve();
    // A second restart while the first is at the node: 409, not a second re-offer.
    await expect(t.core.restartIce('w', t.caller, restart, 3_000)).rejects.toMatchObject({
      code: 'invalid_state',
    });
    release();
    expect(await first).toEqual({ sdp: 'v=0 answer 2', generation: 2 });
    expect(offers[1]).toContain('a=ice-ufrag:u2\r\na=ice-pwd:p2');
    expect(t.core.iceState('w', t.caller)).toEqual({ generation: 2, ufrag: 'u2' });
    // The old ETag's generation is stale now.
    await expect(t.core.restartIce('w', t.caller, restart, 4_000)).rejects.toMatchObject({
      code: 'precondition_failed',
    });
    expect(offers).toHaveLength(2);
  });

  it('refuses an ICE restart of a session not made by WHIP/WHEP, and a node failure keeps the ETag', async () => {
    let fail = false;
    const t = setup(async () => {
      if (fail) throw new MediaError('invalid_request', 'bad re-offer');
      return { type: 'answer', sdp: 'v=0' };
    });
    t.core.create(t.input('s'), t.node, 1_000);
    await t.core.offer('s', t.caller, 'v=0\r\na=ice-ufrag:u1\r\n', 2_000);
    const restart = { generation: 1, ufrag: 'u2', pwd: 'p2', candidates: [] };
    await expect(t.core.restartIce('s', t.caller, restart, 3_000)).rejects.toMatchObject({
      code: 'invalid_state',
    });
    t.core.create(t.input('w'), t.node, 1_000);
    await t.core.offer('w', t.caller, 'v=0\r\na=ice-ufrag:u1\r\n', 2_000, { kind: 'publish' });
    fail = true;
    await expect(t.core.restartIce('w', t.caller, restart, 3_000)).rejects.toMatchObject({
      code: 'invalid_request',
    });
    expect(t.core.iceState('w', t.caller).generation).toBe(1);
  });
});
