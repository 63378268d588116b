/**
 * What a SessionShard does, with its I/O handed in: the session store, the event sockets, the
 * media-node client and the registry. Decisions come from the pure modules in ../session.
 */
import type {
  AnswerResponse,
  EndReason,
  IceCandidateInit,
  SessionView,
} from '../../../shared/api.ts';
import { MediaError } from '../../../shared/errors.ts';
import { assertNever, type EventBody, type NodeEvent } from '../../../shared/events.ts';
import { nodeAnswerSchema } from '../../../shared/node-replies.ts';
import { assertSessionAccess } from '../auth/access.ts';
import type { Caller } from '../auth/token.ts';
import type { EdgeConfig } from '../config.ts';
import { log } from '../log.ts';
import { callNode, type NodeCall } from '../node/node-client.ts';
import { admitCandidates } from '../session/candidate-limit.ts';
import { isPrivateRoom } from '../session/ids.ts';
import { nextDeadline, type ReapTimings, reapAction } from '../session/reaper.ts';
import { acceptsSignaling, endStateFor, isTerminal, transition } from '../session/state-machine.ts';
import { applyTrack, type SessionRecord, toView } from '../session/view.ts';
import type { EventSockets } from './event-sockets.ts';
import type { ListFilter, SessionStore } from './session-store.ts';

export interface CreateInput {
  sessionId: string;
  deviceId: string;
  room: string;
  echo: boolean;
  metadata: Record<string, string | number | boolean> | null;
  node: { id: string; region: string; url: string };
}

export interface ShardDeps {
  store: SessionStore;
  sockets: EventSockets;
  config: EdgeConfig;
  /** Tells the registry a session left its room (best effort). */
  releaseRoom(room: string): Promise<void>;
}

/** Sessions the reaper handles per alarm run; the alarm re-arms for the rest. */
const REAP_BATCH = 200;

export class ShardCore {
  readonly #d: ShardDeps;
  readonly #timings: ReapTimings;

  constructor(deps: ShardDeps) {
    this.#d = deps;
    this.#timings = {
      idleTimeoutMs: deps.config.SESSION_IDLE_TIMEOUT_MS,
      retentionMs: deps.config.SESSION_RETENTION_MS,
    };
  }

  create(input: CreateInput, now: number): SessionView {
    const record: SessionRecord = {
      id: input.sessionId,
      deviceId: input.deviceId,
      room: input.room,
      echo: input.echo,
      state: 'new',
      reason: null,
      nodeId: input.node.id,
      nodeRegion: input.node.region,
      nodeUrl: input.node.url,
      iceCandidates: 0,
      tracks: [],
      metadata: input.metadata,
      createdAt: now,
      updatedAt: now,
      expiresAt: now + this.#d.config.CONNECT_TIMEOUT_MS,
      lastActivity: now,
      lastSeq: 0,
    };
    this.#d.store.insert(record, nextDeadline(record, this.#timings));
    this.#d.store.count('sessions_created');
    return toView(record);
  }

  get(id: string, caller: Caller): SessionView {
    return toView(this.#load(id, caller));
  }

  list(filter: ListFilter): SessionView[] {
    return this.#d.store.list(filter).map(toView);
  }

  async offer(id: string, caller: Caller, sdp: string, now: number): Promise<AnswerResponse> {
    const r = this.#load(id, caller);
    const t = transition(r.state, { kind: 'offer' });
    if (!t.ok) throw new MediaError('invalid_state', t.message, { state: r.state });
    r.lastActivity = now;
    if (t.changed) {
      r.state = t.state;
      r.updatedAt = now;
      this.#d.store.appendEvent(r, { type: 'state', state: t.state }, now);
    }
    this.#save(r);
    this.#d.sockets.publish(r.id, now);
    const reply = await this.#node(r, {
      method: 'POST',
      path: `/sessions/${r.id}/offer`,
      body: { room: r.room, deviceId: r.deviceId, echo: r.echo, sdp },
    });
    const answer = nodeAnswerSchema.safeParse(reply);
    if (!answer.success) {
      throw new MediaError('media_node_unavailable', 'media node sent no answer', {
        node: r.nodeId,
      });
    }
    return { type: 'answer', sdp: answer.data.sdp };
  }

  async answer(id: string, caller: Caller, sdp: string, now: number): Promise<void> {
    const r = this.#signaling(id, caller, now);
    await this.#node(r, { method: 'POST', path: `/sessions/${r.id}/answer`, body: { sdp } });
  }

  /**
   * Trickle ICE under the cap: the candidates are counted before the node call (so concurrent
   * requests cannot both slip under the cap) and uncounted if the node does not take them.
   */
  async candidates(
    id: string,
    caller: Caller,
    list: IceCandidateInit[],
    now: number,
  ): Promise<void> {
    const r = this.#signaling(id, caller, now);
    const admission = admitCandidates(r.iceCandidates, list, this.#d.config.MAX_ICE_CANDIDATES);
    if (!admission.ok) {
      this.#d.store.count('ice_candidates_rejected', '', list.length);
      throw new MediaError(
        'too_many_ice_candidates',
        `at most ${admission.limit} ICE candidates per session`,
        { limit: admission.limit, accepted: admission.accepted },
      );
    }
    r.iceCandidates = admission.total;
    this.#save(r);
    try {
      await this.#node(r, {
        method: 'POST',
        path: `/sessions/${r.id}/candidates`,
        body: { candidates: list },
      });
    } catch (err) {
      const fresh = this.#d.store.get(r.id);
      if (fresh) {
        fresh.iceCandidates = Math.max(0, fresh.iceCandidates - admission.counted);
        this.#save(fresh);
      }
      throw err;
    }
  }

  /** DELETE by a client: idempotent (an ended session stays ended). */
  async close(id: string, caller: Caller, now: number): Promise<void> {
    const r = this.#load(id, caller);
    if (isTerminal(r.state)) return;
    const reason: EndReason =
      caller.admin && caller.deviceId !== r.deviceId ? 'closed_by_admin' : 'closed_by_client';
    await this.end(r, reason, now, { notifyNode: r.state !== 'new', release: true });
  }

  /**
   * Ends a session: stores the end, tells its sockets (`state` then `closed`, then the socket
   * closes), and optionally tells the node and the registry.
   */
  async end(
    r: SessionRecord,
    reason: EndReason,
    now: number,
    opts: { notifyNode: boolean; release: boolean },
  ): Promise<void> {
    const kind = endStateFor(reason) === 'closed' ? 'close' : 'fail';
    const t = transition(r.state, { kind, reason });
    if (!t.ok) return;
    r.state = t.state;
    r.reason = reason;
    r.updatedAt = now;
    this.#d.store.appendEvent(r, { type: 'state', state: t.state, reason }, now);
    this.#d.store.appendEvent(r, { type: 'closed', reason }, now);
    this.#save(r);
    this.#d.store.count(t.state === 'closed' ? 'sessions_closed' : 'sessions_failed', reason);
    this.#d.sockets.publish(r.id, now);
    log('info', 'session_ended', { session: r.id, state: t.state, reason, node: r.nodeId });
    if (opts.release && !isPrivateRoom(r.room)) {
      await this.#d.releaseRoom(r.room).catch((err: unknown) => {
        log('warn', 'room_release_failed', { room: r.room, error: String(err) });
      });
    }
    if (opts.notifyNode) {
      await this.#node(r, {
        method: 'DELETE',
        path: `/sessions/${r.id}?reason=${reason}`,
      }).catch(() => {
        // the node reaps sessions it is no longer told about; the client's close stands
      });
    }
  }

  /** Applies a node's events to this shard's sessions; returns how many were used / ignored. */
  async applyNodeEvents(nodeId: string, events: NodeEvent[], now: number) {
    let applied = 0;
    const touched = new Set<string>();
    for (const ev of events) {
      const r = this.#d.store.get(ev.sessionId);
      if (!r || r.nodeId !== nodeId || isTerminal(r.state)) continue;
      if (await this.#applyOne(r, ev, now)) {
        applied++;
        touched.add(r.id);
      }
    }
    for (const id of touched) this.#d.sockets.publish(id, now);
    const ignored = events.length - applied;
    if (applied) this.#d.store.count('node_events', 'applied', applied);
    if (ignored) this.#d.store.count('node_events', 'ignored', ignored);
    return { applied, ignored };
  }

  async #applyOne(r: SessionRecord, ev: NodeEvent, now: number): Promise<boolean> {
    r.lastActivity = now;
    const body = eventBody(ev);
    switch (body.type) {
      case 'state': {
        if (body.state === 'failed' || body.state === 'closed') {
          const fallback: EndReason = body.state === 'failed' ? 'ice_failed' : 'closed_by_client';
          await this.end(r, body.reason ?? fallback, now, { notifyNode: false, release: true });
          return true;
        }
        if (body.state === 'connected') {
          const t = transition(r.state, { kind: 'connected' });
          if (!t.ok) return false;
          r.state = t.state;
          r.updatedAt = now;
        }
        break;
      }
      case 'closed':
        await this.end(r, body.reason, now, { notifyNode: false, release: true });
        return true;
      case 'track':
        if (body.publisherSessionId === r.id && body.action !== 'unsupported_codec') {
          r.tracks = applyTrack(r.tracks, body.action, { trackId: body.trackId, kind: body.kind });
          r.updatedAt = now;
        }
        break;
      case 'candidate':
      case 'offer':
      case 'participant':
        break;
      default:
        assertNever(body);
    }
    this.#d.store.appendEvent(r, body, now);
    this.#save(r);
    return true;
  }

  /** Fails this shard's open sessions on a node instance that is gone. */
  async failNode(nodeId: string, reason: EndReason, before: number, now: number): Promise<number> {
    const open = this.#d.store.openOnNode(nodeId, before);
    for (const r of open) await this.end(r, reason, now, { notifyNode: false, release: false });
    return open.length;
  }

  /** The reaper: times out sessions, deletes old ended ones, prunes idempotency keys. */
  async reap(now: number): Promise<void> {
    this.#d.store.pruneIdempotency(now);
    for (const r of this.#d.store.due(now, REAP_BATCH)) {
      const action = reapAction(r, now, this.#timings);
      if (!action) this.#save(r);
      else if (action.kind === 'delete') this.#d.store.delete(r.id);
      else {
        await this.end(r, action.reason, now, { notifyNode: r.state !== 'new', release: true });
      }
    }
    this.#d.sockets.sweep(now);
  }

  /** A client frame on the socket keeps the session from going idle. */
  touch(id: string, now: number): void {
    const r = this.#d.store.get(id);
    if (!r || isTerminal(r.state)) return;
    r.lastActivity = now;
    this.#save(r);
  }

  /** The session, if it exists and the caller may touch it (404 / 403 otherwise). */
  load(id: string, caller: Caller): SessionRecord {
    return this.#load(id, caller);
  }

  #load(id: string, caller: Caller): SessionRecord {
    const r = this.#d.store.get(id);
    if (!r) throw new MediaError('session_not_found', 'no such session', { sessionId: id });
    assertSessionAccess(caller, r.deviceId, r.room);
    return r;
  }

  #signaling(id: string, caller: Caller, now: number): SessionRecord {
    const r = this.#load(id, caller);
    if (!acceptsSignaling(r.state)) {
      const message = r.state === 'new' ? 'send the offer first' : `session is ${r.state}`;
      throw new MediaError('invalid_state', message, { state: r.state });
    }
    r.lastActivity = now;
    this.#save(r);
    return r;
  }

  #save(r: SessionRecord): void {
    this.#d.store.save(r, nextDeadline(r, this.#timings));
  }

  #node(r: SessionRecord, call: NodeCall): Promise<unknown> {
    return callNode({ id: r.nodeId, url: r.nodeUrl }, call, {
      secret: this.#d.config.NODE_SHARED_SECRET,
      timeoutMs: this.#d.config.NODE_TIMEOUT_MS,
    });
  }
}

/**
 * The event without its routing field. The node event was parsed at the boundary as
 * `{sessionId} & EventBody`, so the rest is exactly an `EventBody`.
 */
function eventBody(ev: NodeEvent): EventBody {
  const { sessionId: _routing, ...body } = ev;
  return body as EventBody;
}
