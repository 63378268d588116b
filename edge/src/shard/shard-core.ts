/**
 * What a SessionShard does, with its I/O handed in as small interfaces (sessions, event log,
 * counters, sockets, node calls, the registry, transactions, the alarm), so the logic runs in Node
 * with fakes as well as in the Durable Object. Decisions come from the pure modules in ../session.
 *
 * Cost rules: a read (`get`, `list`) writes nothing; a call that changes a session writes once,
 * in one transaction (the session row, its events and the pending counters together), and arms
 * the alarm only when the new deadline is earlier than the armed one.
 */
import type {
  AnswerResponse,
  EndReason,
  IceCandidateInit,
  SessionView,
} from '../../../shared/api.ts';
import {
  type SubscriptionChange,
  type SubscriptionView,
  subscriptionViewSchema,
} from '../../../shared/api.ts';
import { MediaError } from '../../../shared/errors.ts';
import { assertNever, type EventBody, type NodeEvent } from '../../../shared/events.ts';
import type { SessionMode } from '../../../shared/internal.ts';
import { nodeAnswerSchema } from '../../../shared/node-replies.ts';
import { assertSessionAccess } from '../auth/access.ts';
import type { Caller } from '../auth/token.ts';
import type { EdgeConfig } from '../config.ts';
import { log } from '../log.ts';
import type { NodeCall } from '../node/node-client.ts';
import type { PlacedNode } from '../placement/placer-core.ts';
import { admitCandidates } from '../session/candidate-limit.ts';
import { isPrivateRoom } from '../session/ids.ts';
import { nextDeadline, type ReapTimings, reapAction } from '../session/reaper.ts';
import { acceptsSignaling, endStateFor, isTerminal, transition } from '../session/state-machine.ts';
import { applyTrack, type SessionRecord, toView } from '../session/view.ts';
import { SessionHooks } from '../webhooks/session-hooks.ts';
import { DISABLED_SINK, type WebhookSink } from '../webhooks/sink.ts';
import { FIRST_ICE_GENERATION } from '../whip/etag.ts';
import { iceUfragOf, restartOffer } from '../whip/ice-restart.ts';
import type { EventLog } from './event-log.ts';
import type { IngestRepo } from './ingest-repo.ts';
import type { ListFilter, SessionRepo } from './session-repo.ts';
import type { Counters } from './shard-counters.ts';

export interface CreateInput {
  sessionId: string;
  deviceId: string;
  room: string;
  echo: boolean;
  metadata: Record<string, string | number | boolean> | null;
}

/** The event sockets as the logic sees them. */
export interface Publisher {
  /** Sends what the session's sockets may receive now (after new events). */
  publish(sessionId: string, now: number): void;
  /** The last client frame seen on any socket of the session (ms), if known. */
  lastActivity(sessionId: string): number | null;
  /** Re-checks every socket (closes stalled consumers). */
  sweep(now: number): void;
}

/** A session's view and, while it is live, the node that holds its media. */
/** `ShardCore.readText`: the view as JSON text, and the node that holds its media, if any. */
export interface SessionReadText {
  text: string;
  node: { id: string; url: string } | null;
}

export type NodeCaller = (node: { id: string; url: string }, call: NodeCall) => Promise<unknown>;

export type CoreConfig = Pick<
  EdgeConfig,
  | 'CONNECT_TIMEOUT_MS'
  | 'SESSION_IDLE_TIMEOUT_MS'
  | 'SESSION_RETENTION_MS'
  | 'MAX_ICE_CANDIDATES'
  | 'MAX_SESSIONS_PER_DEVICE'
>;

export interface ShardDeps {
  sessions: SessionRepo;
  /** WHIP/WHEP sessions' last offer and ICE generation. */
  ingest: IngestRepo;
  events: EventLog;
  counters: Counters;
  sockets: Publisher;
  callNode: NodeCaller;
  config: CoreConfig;
  /** Tells the room's placer a session left its room (best effort). */
  releaseRoom(room: string): Promise<void>;
  /** Runs `fn` as one storage transaction (pending counters are written with it). */
  transaction<T>(fn: () => T): T;
  /** The alarm must fire no later than `at` (ms since epoch). */
  wake(at: number): void;
  /** Webhook events (webhooks/session-hooks.ts); none when absent. */
  webhooks?: WebhookSink;
}

/** A page of the listing as JSON text (`ShardCore.listText`). */
export interface ListPageText {
  /** A JSON array of session views. */
  text: string;
  count: number;
  /** The id of the page's last session (the next page's cursor), null for an empty page. */
  lastId: string | null;
  /** Whether sessions follow the page. */
  more: boolean;
}

/** Sessions the reaper handles per alarm run; the alarm re-arms for the rest. */
const REAP_BATCH = 200;
/** Retry-After of a create refused by the per-device cap, in s (a session has to end first). */
const DEVICE_CAP_RETRY_AFTER_S = 5;

export class ShardCore {
  readonly #d: ShardDeps;
  readonly #timings: ReapTimings;
  readonly #hooks: SessionHooks;
  /** WHIP/WHEP sessions with an ICE restart in flight (one at a time per session). */
  readonly #restarting = new Set<string>();
  /**
   * Open sessions per device, counted in SQL on a device's first create since the object
   * started and kept up to date by create and end, so the cap costs no query per create.
   */
  readonly #openByDevice = new Map<string, number>();
  /** View texts of stored records (`#text`); an entry goes with its record. */
  readonly #texts = new WeakMap<Readonly<SessionRecord>, string>();

  constructor(deps: ShardDeps) {
    this.#d = deps;
    this.#hooks = new SessionHooks(deps.webhooks ?? DISABLED_SINK);
    this.#timings = {
      idleTimeoutMs: deps.config.SESSION_IDLE_TIMEOUT_MS,
      retentionMs: deps.config.SESSION_RETENTION_MS,
    };
  }

  /**
   * Stores a new session placed on `node`, unless the device is at its cap of open sessions
   * (checked here, on the device's shard, in the same synchronous turn as the insert: no other
   * create can slip between). Placement happens before, in the Worker: a shard that called the
   * registry itself would hold that call behind its own pending commits (the output gate), which
   * halved create throughput on disk.
   */
  create(input: CreateInput, node: PlacedNode, now: number): SessionView {
    const cap = this.#d.config.MAX_SESSIONS_PER_DEVICE;
    const open = this.#openCount(input.deviceId);
    if (open >= cap) {
      this.#d.counters.count('sessions_refused', 'device_cap');
      throw new MediaError(
        'rate_limited',
        `at most ${cap} open sessions per device: close one first`,
        { limit: cap },
        DEVICE_CAP_RETRY_AFTER_S,
      );
    }
    const record: SessionRecord = {
      id: input.sessionId,
      deviceId: input.deviceId,
      room: input.room,
      echo: input.echo,
      state: 'new',
      reason: null,
      nodeId: node.id,
      nodeRegion: node.region,
      nodeUrl: node.url,
      nodeDistanceKm: node.distanceKm,
      iceCandidates: 0,
      tracks: [],
      metadata: input.metadata,
      createdAt: now,
      updatedAt: now,
      expiresAt: now + this.#d.config.CONNECT_TIMEOUT_MS,
      lastActivity: now,
      lastSeq: 0,
    };
    const deadline = nextDeadline(record, this.#timings);
    this.#d.counters.count('sessions_created');
    this.#d.transaction(() => this.#d.sessions.insert(record, deadline));
    this.#openByDevice.set(input.deviceId, open + 1);
    this.#d.wake(deadline);
    this.#hooks.created(record, now);
    return toView(record);
  }

  #openCount(deviceId: string): number {
    let open = this.#openByDevice.get(deviceId);
    if (open === undefined) {
      open = this.#d.sessions.openForDevice(deviceId);
      this.#openByDevice.set(deviceId, open);
    }
    return open;
  }

  get(id: string, caller: Caller): SessionView {
    return toView(this.#load(id, caller));
  }

  /**
   * `GET /sessions/:id` as the shard can answer it: the view as JSON text, plus the node to ask
   * for the session's live stats (only while the node holds media for it: `negotiating`,
   * `connected`). Writes nothing. Why text: one string crosses the RPC boundary for less than
   * the view object costs to serialize there and back, the Worker sends it on (with the stats
   * added), and it is made once per version of the session (`#text`).
   */
  readText(id: string, caller: Caller): SessionReadText {
    const r = this.#d.sessions.peek(id);
    if (!r) throw new MediaError('session_not_found', 'no such session', { sessionId: id });
    assertSessionAccess(caller, r.deviceId, r.room);
    const live = r.state === 'negotiating' || r.state === 'connected';
    return { text: this.#text(r), node: live ? { id: r.nodeId, url: r.nodeUrl } : null };
  }

  list(filter: ListFilter): SessionView[] {
    return this.#d.sessions.list(filter).map(toView);
  }

  /** Up to `filter.limit` views as a JSON array text (see `readText`), and whether more follow. */
  listText(filter: ListFilter): ListPageText {
    const rows = this.#d.sessions.list({ ...filter, limit: filter.limit + 1 });
    const more = rows.length > filter.limit;
    const page = more ? rows.slice(0, filter.limit) : rows;
    return {
      text: `[${page.map((r) => this.#text(r)).join(',')}]`,
      count: page.length,
      lastId: page.at(-1)?.id ?? null,
      more,
    };
  }

  /** The view's JSON text, memoized by the stored record's identity (repos replace it on write). */
  #text(r: Readonly<SessionRecord>): string {
    let text = this.#texts.get(r);
    if (text === undefined) {
      text = JSON.stringify(toView(r));
      this.#texts.set(r, text);
    }
    return text;
  }

  /** Whether a session may still be handed out by an idempotent replay (idempotency.ts). */
  isLive(id: string, now: number): boolean {
    const r = this.#d.sessions.get(id);
    if (!r || isTerminal(r.state)) return false;
    return r.state === 'connected' || now < r.expiresAt;
  }

  async offer(
    id: string,
    caller: Caller,
    sdp: string,
    now: number,
    mode?: SessionMode,
  ): Promise<AnswerResponse> {
    const r = this.#load(id, caller);
    const t = transition(r.state, { kind: 'offer' });
    if (!t.ok) throw new MediaError('invalid_state', t.message, { state: r.state });
    r.lastActivity = now;
    const events: EventBody[] = [];
    if (t.changed) {
      r.state = t.state;
      r.updatedAt = now;
      events.push({ type: 'state', state: t.state });
    }
    // A WHIP/WHEP offer is kept (same write): an ICE restart over PATCH re-offers it.
    this.#commit(r, events, now, true, () => {
      if (mode) this.#d.ingest.put(r.id, { offer: sdp, generation: FIRST_ICE_GENERATION });
    });
    try {
      return await this.#offerToNode(r, sdp, mode);
    } catch (error) {
      if (t.changed) this.#undoFirstOffer(id, error, Date.now());
      throw error;
    }
  }

  async #offerToNode(r: SessionRecord, sdp: string, mode?: SessionMode): Promise<AnswerResponse> {
    const reply = await this.#node(r, {
      method: 'POST',
      path: `/sessions/${r.id}/offer`,
      body: { room: r.room, deviceId: r.deviceId, echo: r.echo, sdp, ...(mode && { mode }) },
    });
    const answer = nodeAnswerSchema.safeParse(reply);
    if (!answer.success) {
      throw new MediaError('media_node_unavailable', 'media node sent no answer', {
        node: r.nodeId,
      });
    }
    return { type: 'answer', sdp: answer.data.sdp };
  }

  /**
   * A session's ICE generation (its ETag's input) and the client's current ufrag (undefined for a
   * session not created by WHIP/WHEP); 404 / 403 like `get`.
   */
  iceState(id: string, caller: Caller): { generation: number; ufrag: string | undefined } {
    this.#load(id, caller);
    const ice = this.#d.ingest.get(id);
    return {
      generation: ice?.generation ?? FIRST_ICE_GENERATION,
      ufrag: ice ? iceUfragOf(ice.offer) : undefined,
    };
  }

  /**
   * ICE restart of a WHIP/WHEP session (RFC 9725 section 4.3.2): re-offers its last offer with
   * the client's new credentials and candidates, the way the SDK restarts; the node answers with
   * new credentials. `generation` is the one the caller's `If-Match` named: checked here, in the
   * same turn as the restart begins, so of two restarts on one ETag only one goes ahead (412 for
   * a stale one, 409 while one is in flight). Returns the answer and the new generation.
   */
  async restartIce(
    id: string,
    caller: Caller,
    restart: { generation: number; ufrag: string; pwd: string; candidates: IceCandidateInit[] },
    now: number,
  ): Promise<{ sdp: string; generation: number }> {
    const r = this.#signaling(id, caller, now);
    const ice = this.#d.ingest.get(id);
    if (!ice) {
      throw new MediaError('invalid_state', 'only WHIP/WHEP sessions restart ICE over PATCH', {
        state: r.state,
      });
    }
    if (ice.generation !== restart.generation) {
      throw new MediaError('precondition_failed', 'If-Match does not name the current ETag');
    }
    if (this.#restarting.has(id)) {
      throw new MediaError('invalid_state', 'an ICE restart of this session is in progress', {
        state: r.state,
      });
    }
    this.#restarting.add(id);
    try {
      const offer = restartOffer(ice.offer, restart.ufrag, restart.pwd, restart.candidates);
      const answer = await this.#offerToNode(r, offer);
      const generation = ice.generation + 1;
      const fresh = this.#d.sessions.get(id);
      if (fresh && !isTerminal(fresh.state)) {
        // One write: the client's activity and the new ICE session together.
        fresh.lastActivity = Math.max(fresh.lastActivity, now);
        this.#commit(fresh, [], Date.now(), true, () =>
          this.#d.ingest.put(id, { offer, generation }),
        );
      }
      return { sdp: answer.sdp, generation };
    } finally {
      this.#restarting.delete(id);
    }
  }

  async answer(id: string, caller: Caller, sdp: string, now: number): Promise<void> {
    const r = this.#signaling(id, caller, now);
    this.#commit(r, [], now);
    await this.#node(r, { method: 'POST', path: `/sessions/${r.id}/answer`, body: { sdp } });
  }

  /**
   * The caller's cap or pause for one track its session receives (`PUT .../subscriptions/
   * :trackId`), applied by the node; the node answers 404 `track_not_found` for a track the
   * session does not receive.
   */
  async subscription(
    id: string,
    caller: Caller,
    trackId: string,
    change: SubscriptionChange,
    now: number,
  ): Promise<SubscriptionView> {
    const r = this.#signaling(id, caller, now);
    this.#commit(r, [], now);
    const reply = await this.#node(r, {
      method: 'PUT',
      path: `/sessions/${r.id}/subscriptions/${encodeURIComponent(trackId)}`,
      body: change,
    });
    const view = subscriptionViewSchema.safeParse(reply);
    if (!view.success) {
      throw new MediaError('media_node_unavailable', 'media node sent no subscription', {
        node: r.nodeId,
      });
    }
    return view.data;
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
      this.#d.counters.count('ice_candidates_rejected', '', list.length);
      throw new MediaError(
        'too_many_ice_candidates',
        `at most ${admission.limit} ICE candidates per session`,
        { limit: admission.limit, accepted: admission.accepted },
      );
    }
    r.iceCandidates = admission.total;
    this.#commit(r, [], now);
    try {
      await this.#node(r, {
        method: 'POST',
        path: `/sessions/${r.id}/candidates`,
        body: { candidates: list },
      });
    } catch (err) {
      const fresh = this.#d.sessions.get(r.id);
      if (fresh) {
        fresh.iceCandidates = Math.max(0, fresh.iceCandidates - admission.counted);
        this.#commit(fresh, [], now);
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
    const joined = r.state === 'connected';
    r.state = t.state;
    r.reason = reason;
    r.updatedAt = now;
    this.#d.counters.count(t.state === 'closed' ? 'sessions_closed' : 'sessions_failed', reason);
    const open = this.#openByDevice.get(r.deviceId);
    if (open !== undefined && open > 1) this.#openByDevice.set(r.deviceId, open - 1);
    else this.#openByDevice.delete(r.deviceId);
    this.#commit(
      r,
      [
        { type: 'state', state: t.state, reason },
        { type: 'closed', reason },
      ],
      now,
    );
    // Failures are logged; a close is routine (a log line cost about as much CPU as the whole
    // DELETE under load), and every end is counted by reason in the metrics and webhooks.
    if (t.state === 'failed') {
      log('info', 'session_ended', { session: r.id, state: t.state, reason, node: r.nodeId });
    }
    this.#hooks.ended(r, reason, joined, now);
    // Queued before the registry may finish the room, so receivers see the room's order.
    if (this.#hooks.enabled) await this.#hooks.flush();
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
      const r = this.#d.sessions.get(ev.sessionId);
      if (!r || r.nodeId !== nodeId || isTerminal(r.state)) continue;
      if (await this.#applyOne(r, ev, now)) {
        applied++;
        touched.add(r.id);
      }
    }
    // One send per session and batch, not per event (a batch may carry hundreds of candidates).
    for (const id of touched) this.#d.sockets.publish(id, now);
    const ignored = events.length - applied;
    if (applied) this.#d.counters.count('node_events', 'applied', applied);
    if (ignored) this.#d.counters.count('node_events', 'ignored', ignored);
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
          if (t.changed) this.#hooks.connected(r, now);
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
          this.#hooks.track(r, body.action, { trackId: body.trackId, kind: body.kind }, now);
        }
        break;
      case 'candidate':
      case 'offer':
      case 'participant':
      case 'speaker':
      case 'layers':
        break;
      default:
        assertNever(body);
    }
    this.#commit(r, [body], now, false);
    return true;
  }

  /** Fails this shard's open sessions on a node instance that is gone. */
  async failNode(nodeId: string, reason: EndReason, before: number, now: number): Promise<number> {
    const open = this.#d.sessions.openOnNode(nodeId, before);
    for (const r of open) await this.end(r, reason, now, { notifyNode: false, release: false });
    return open.length;
  }

  /**
   * The reaper: times out sessions, deletes old ended ones. A connected session's socket frames
   * (acks, pings) are not written per frame; they are read here, where idleness is decided.
   */
  async reap(now: number): Promise<void> {
    for (const r of this.#d.sessions.due(now, REAP_BATCH)) {
      const seen = this.#d.sockets.lastActivity(r.id);
      if (seen !== null && seen > r.lastActivity) r.lastActivity = seen;
      const action = reapAction(r, now, this.#timings);
      if (!action) this.#commit(r, [], now);
      else if (action.kind === 'delete') {
        this.#d.transaction(() => {
          this.#d.sessions.delete(r.id);
          this.#d.ingest.delete(r.id);
        });
      } else {
        await this.end(r, action.reason, now, { notifyNode: r.state !== 'new', release: true });
      }
    }
    this.#d.sockets.sweep(now);
  }

  /** The session, if it exists and the caller may touch it (404 / 403 otherwise). */
  load(id: string, caller: Caller): SessionRecord {
    return this.#load(id, caller);
  }

  #load(id: string, caller: Caller): SessionRecord {
    const r = this.#d.sessions.get(id);
    if (!r) throw new MediaError('session_not_found', 'no such session', { sessionId: id });
    assertSessionAccess(caller, r.deviceId, r.room);
    return r;
  }

  /** The session if it takes signaling now; marks the client's activity (saved by the caller). */
  #signaling(id: string, caller: Caller, now: number): SessionRecord {
    const r = this.#load(id, caller);
    if (!acceptsSignaling(r.state)) {
      const message = r.state === 'new' ? 'send the offer first' : `session is ${r.state}`;
      throw new MediaError('invalid_state', message, { state: r.state });
    }
    r.lastActivity = now;
    return r;
  }

  /**
   * Stores `r` with its new events (and `alsoWrite`'s rows) in one transaction, arms the alarm for its deadline if that
   * is earlier than the armed one, and sends the new events to its sockets.
   */
  #commit(
    r: SessionRecord,
    events: readonly EventBody[],
    now: number,
    publish = true,
    alsoWrite?: () => void,
  ): void {
    const deadline = nextDeadline(r, this.#timings);
    this.#d.transaction(() => {
      for (const body of events) this.#d.events.append(r, body, now);
      this.#d.sessions.save(r, deadline);
      alsoWrite?.();
    });
    this.#d.wake(deadline);
    if (publish && events.length > 0) this.#d.sockets.publish(r.id, now);
  }

  /**
   * A first offer the node refused (a 4xx: it kept no session) puts the session back to `new`,
   * so trickled candidates get a clear 409 instead of the node's 404, and a corrected offer starts
   * afresh. After a timeout or 5xx the node may hold the session: it stays `negotiating`.
   */
  #undoFirstOffer(id: string, error: unknown, now: number): void {
    if (!(error instanceof MediaError) || error.status >= 500) return;
    const r = this.#d.sessions.get(id);
    if (r?.state !== 'negotiating') return;
    r.state = 'new';
    r.updatedAt = now;
    this.#commit(r, [{ type: 'state', state: 'new' }], now);
  }

  #node(r: SessionRecord, call: NodeCall): Promise<unknown> {
    return this.#d.callNode({ id: r.nodeId, url: r.nodeUrl }, call);
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
