/**
 * SessionShard: one Durable Object per shard (`shard-<n>`, n = FNV-1a-32(sessionId) % SHARD_COUNT).
 * Thin on purpose: it wires storage, sockets and the alarm into `ShardCore`, turns RPC calls,
 * socket events and alarms into calls on it, and domain errors into `Outcome`s that survive the
 * RPC boundary.
 *
 * The alarm's armed time is cached in memory (read once when the object starts), so a call
 * re-arms it only when it brings a deadline earlier than the armed one, without a `getAlarm()`
 * round trip; the alarm itself recomputes the exact next deadline.
 */

import { DurableObject } from 'cloudflare:workers';
import type {
  AnswerResponse,
  EndReason,
  IceCandidateInit,
  SessionView,
  SubscriptionChange,
  SubscriptionView,
} from '../../../shared/api.ts';
import { MediaError } from '../../../shared/errors.ts';
import { type NodeEvent, PING_FRAME, PONG_FRAME } from '../../../shared/events.ts';
import type { SessionMode } from '../../../shared/internal.ts';
import { EVENT_QUEUE_LIMIT, SLOW_CONSUMER_GRACE_MS } from '../../../shared/limits.ts';
import { ReplayGuard } from '../../../shared/signing.ts';
import type { Caller } from '../auth/token.ts';
import { loadConfig } from '../config.ts';
import type { Env } from '../env.ts';
import { isHistogramKey, isScalarKey, type MetricSample } from '../metrics/definitions.ts';
import type { RequestBatch } from '../metrics/request-metrics.ts';
import { callNode } from '../node/node-client.ts';
import { capture, type Outcome } from '../outcome.ts';
import type { PlacedNode } from '../placement/placer-core.ts';
import { placerIndex, placerName } from '../placement/placer-name.ts';
import { earliest } from '../session/reaper.ts';
import { addColumn } from '../sql-schema.ts';
import { sinkFor, type WebhookSink } from '../webhooks/sink.ts';
import { SqlEventLog } from './event-log.ts';
import { EventSockets } from './event-sockets.ts';
import { claimKey, completeKey, type IdempotencyClaim } from './idempotency.ts';
import { SqlIdempotencyStore } from './idempotency-store.ts';
import { INGEST_SCHEMA, SqlIngestRepo } from './ingest-repo.ts';
import { SHARD_SCHEMA } from './schema.ts';
import { CachedSessionRepo } from './session-cache.ts';
import { type ListFilter, SqlSessionRepo } from './session-repo.ts';
import {
  type CreateInput,
  type ListPageText,
  type SessionReadText,
  ShardCore,
} from './shard-core.ts';
import { FLUSH_DELAY_MS, ShardCounters } from './shard-counters.ts';

/** Header on the internal upgrade request that carries the authenticated caller. */
export const CALLER_HEADER = 'x-edge-caller';

export class SessionShard extends DurableObject<Env> {
  readonly #sessions: CachedSessionRepo;
  readonly #idempotency: SqlIdempotencyStore;
  readonly #counters: ShardCounters;
  readonly #sockets: EventSockets;
  readonly #core: ShardCore;
  /** Webhook events of this shard's operations, queued before each operation answers. */
  readonly #webhooks: WebhookSink;
  /** Nonces of node event batches this shard applied (node -> edge replay protection). */
  readonly #guard = new ReplayGuard();
  /** The armed alarm (ms), null when none; read from storage once at start. */
  #armedAt: number | null = null;
  #flushTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const config = loadConfig(env);
    const sql = ctx.storage.sql;
    for (const statement of SHARD_SCHEMA) sql.exec(statement);
    addColumn(sql, 'sessions', 'node_distance_km', 'REAL');
    sql.exec(INGEST_SCHEMA);
    this.#sessions = new CachedSessionRepo(new SqlSessionRepo(sql));
    this.#idempotency = new SqlIdempotencyStore(sql);
    const events = new SqlEventLog(sql);
    this.#counters = new ShardCounters(sql, () => this.#armFlush());
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING_FRAME, PONG_FRAME));
    ctx.blockConcurrencyWhile(async () => {
      this.#armedAt = await ctx.storage.getAlarm();
    });
    this.#sockets = new EventSockets(
      ctx,
      this.#sessions,
      events,
      { limit: EVENT_QUEUE_LIMIT, graceMs: SLOW_CONSUMER_GRACE_MS },
      {
        slowClosed: () => this.#counters.count('websockets_slow_closed'),
        wake: (at) => this.#wake(at),
      },
    );
    // Only named rooms are released (shard-core.ts), so the device does not pick the placer.
    const placer = (room: string) =>
      env.ROOM_PLACER.getByName(placerName(placerIndex(room, '', config.SHARD_COUNT)));
    this.#webhooks = sinkFor(config.WEBHOOK_URLS, sql, env.WEBHOOK_DISPATCHER, {
      wake: (at) => this.#wake(at),
      retried: (n) => this.#counters.count('webhooks_handoff_retried', '', n),
    });
    this.#core = new ShardCore({
      sessions: this.#sessions,
      ingest: new SqlIngestRepo(sql),
      events,
      counters: this.#counters,
      sockets: this.#sockets,
      callNode: (node, call) =>
        callNode(node, call, {
          secret: config.NODE_SHARED_SECRET,
          timeoutMs: config.NODE_TIMEOUT_MS,
        }),
      config,
      releaseRoom: (room) => placer(room).release(room),
      transaction: (fn) => {
        try {
          return ctx.storage.transactionSync(() => {
            const value = fn();
            // Counters ride along with a write that happens anyway: no commit of their own.
            this.#counters.carry(Date.now());
            return value;
          });
        } catch (err) {
          // Rolled back: rows cached by the writes in it may not be in storage (session-cache.ts).
          this.#sessions.forget();
          throw err;
        }
      },
      wake: (at) => this.#wake(at),
      webhooks: this.#webhooks,
    });
  }

  create(input: CreateInput, node: PlacedNode): Promise<Outcome<SessionView>> {
    return this.#op(() => this.#core.create(input, node, Date.now()));
  }

  get(id: string, caller: Caller): Promise<Outcome<SessionView>> {
    return this.#op(() => this.#core.get(id, caller));
  }

  /** `get` plus the node holding the session's media while it is live (its stats). */
  list(filter: ListFilter): Promise<Outcome<SessionView[]>> {
    return this.#op(() => this.#core.list(filter));
  }

  /** The view as JSON text and the node to ask for stats (shard-core.ts `readText`). */
  readText(id: string, caller: Caller): Promise<Outcome<SessionReadText>> {
    return this.#op(() => this.#core.readText(id, caller));
  }

  /** A listing page as JSON text (shard-core.ts `listText`). */
  listText(filter: ListFilter): Promise<Outcome<ListPageText>> {
    return this.#op(() => this.#core.listText(filter));
  }

  /** `mode`: a WHIP or WHEP session's role, sent to the node with the offer (internal.ts). */
  offer(
    id: string,
    caller: Caller,
    sdp: string,
    mode?: SessionMode,
  ): Promise<Outcome<AnswerResponse>> {
    return this.#op(() => this.#core.offer(id, caller, sdp, Date.now(), mode));
  }

  /** A session's ICE generation and the client's ufrag (WHIP/WHEP PATCH, shard-core.ts). */
  iceState(
    id: string,
    caller: Caller,
  ): Promise<Outcome<{ generation: number; ufrag: string | undefined }>> {
    return this.#op(() => this.#core.iceState(id, caller));
  }

  /** ICE restart of a WHIP/WHEP session over PATCH (shard-core.ts). */
  restartIce(
    id: string,
    caller: Caller,
    restart: { generation: number; ufrag: string; pwd: string; candidates: IceCandidateInit[] },
  ): Promise<Outcome<{ sdp: string; generation: number }>> {
    return this.#op(() => this.#core.restartIce(id, caller, restart, Date.now()));
  }

  answer(id: string, caller: Caller, sdp: string): Promise<Outcome<void>> {
    return this.#op(() => this.#core.answer(id, caller, sdp, Date.now()));
  }

  candidates(id: string, caller: Caller, list: IceCandidateInit[]): Promise<Outcome<void>> {
    return this.#op(() => this.#core.candidates(id, caller, list, Date.now()));
  }

  subscription(
    id: string,
    caller: Caller,
    trackId: string,
    change: SubscriptionChange,
  ): Promise<Outcome<SubscriptionView>> {
    return this.#op(() => this.#core.subscription(id, caller, trackId, change, Date.now()));
  }

  close(id: string, caller: Caller): Promise<Outcome<void>> {
    return this.#op(() => this.#core.close(id, caller, Date.now()));
  }

  /**
   * A node's events for this shard. The worker checked the signature; the nonce is checked
   * here, so a replayed batch is refused by every shard it touches.
   */
  async applyNodeEvents(
    nodeId: string,
    nonce: string,
    timestamp: number,
    events: NodeEvent[],
  ): Promise<Outcome<{ applied: number; ignored: number }>> {
    if (!this.#guard.remember(nonce, timestamp, Date.now())) {
      return capture(() => {
        throw new MediaError('unauthorized', 'replayed request');
      });
    }
    return this.#op(() => this.#core.applyNodeEvents(nodeId, events, Date.now()));
  }

  /** Called by the registry's alarm when a node instance is gone. */
  failNode(nodeId: string, reason: EndReason, before: number): Promise<Outcome<number>> {
    return this.#op(() => this.#core.failNode(nodeId, reason, before, Date.now()));
  }

  /** Claims an Idempotency-Key on this (the device's) shard; a key ends with its session. */
  claimIdempotency(keyHash: string, bodyHash: string): Promise<Outcome<IdempotencyClaim>> {
    return this.#op(() => {
      const now = Date.now();
      const claim = this.ctx.storage.transactionSync(() =>
        claimKey(this.#idempotency, keyHash, bodyHash, now, (id, at) => this.#core.isLive(id, at)),
      );
      const expiry = this.#idempotency.nextExpiry();
      if (expiry !== null) this.#wake(expiry);
      return claim;
    });
  }

  completeIdempotency(
    keyHash: string,
    status: number | null,
    response: string,
  ): Promise<Outcome<void>> {
    return this.#op(() =>
      this.ctx.storage.transactionSync(() =>
        completeKey(this.#idempotency, keyHash, status, response),
      ),
    );
  }

  /**
   * Request metrics a Worker isolate accumulated (request-flush.ts). Not an `#op`: it is not a
   * client request; synchronous and one transaction, so a batch is applied whole.
   */
  recordRequests(batch: RequestBatch): void {
    for (const r of batch.requests) this.#counters.count('http_requests', r.label, r.value);
    for (const d of batch.durations) {
      this.#counters.observe('http_duration', d.label, d.counts, d.sum);
    }
    this.ctx.storage.transactionSync(() => this.#counters.flush());
  }

  /** This shard's counters (flushed first) plus its gauges, labelled with `shard` where it matters. */
  metrics(shard: number): MetricSample[] {
    const samples: MetricSample[] = [];
    const totals = this.ctx.storage.transactionSync(() => this.#counters.read());
    for (const c of totals.counters) {
      if (isScalarKey(c.name)) samples.push({ metric: c.name, label: c.label, value: c.value });
    }
    for (const h of totals.histograms) {
      if (isHistogramKey(h.name)) {
        samples.push({ metric: h.name, label: h.label, counts: h.counts, sum: h.sum });
      }
    }
    samples.push(
      { metric: 'sessions_active', label: String(shard), value: this.#sessions.activeCount() },
      { metric: 'websockets_open', label: '', value: this.#sockets.count() },
    );
    return samples;
  }

  /**
   * Drops the session rows cached in memory (session-cache.ts), for rows changed in storage
   * outside this class (tests that move a session's clock, a manual repair).
   */
  forgetCachedSessions(): void {
    this.#sessions.forget();
  }

  /** The event WebSocket upgrade, forwarded by the worker with the caller it authenticated. */
  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const outcome = await this.#op(() => {
      const caller = JSON.parse(request.headers.get(CALLER_HEADER) ?? 'null') as Caller;
      const id = url.searchParams.get('session') ?? '';
      return this.#core.load(id, caller);
    });
    if (!outcome.ok) {
      const e = outcome.error;
      const body = { error: { ...e.details, code: e.code, message: e.message } };
      return Response.json(body, { status: new MediaError(e.code, e.message).status });
    }
    const since = Number(url.searchParams.get('since') ?? '0');
    const session = outcome.value;
    return this.#sockets.accept(session.id, since, session.lastSeq, Date.now());
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    this.#sockets.message(ws, message, Date.now());
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    try {
      ws.close(code, reason);
    } catch {
      // the runtime already completed the close handshake
    }
  }

  override async alarm(): Promise<void> {
    // The alarm that fired is no longer armed; whatever the reaper arms replaces it.
    this.#armedAt = null;
    const now = Date.now();
    this.ctx.storage.transactionSync(() => this.#idempotency.prune(now));
    await this.#core.reap(now);
    await this.#webhooks.flush();
    const next = earliest(
      this.#sessions.nextDeadline(),
      this.#idempotency.nextExpiry(),
      this.#sockets.nextDeadline(),
    );
    if (next !== null) this.#wake(next);
  }

  /** Runs an RPC operation: counts it (in memory) and maps domain errors. */
  #op<T>(fn: () => T | Promise<T>): Promise<Outcome<T>> {
    this.#counters.count('shard_requests');
    if (!this.#webhooks.enabled) return capture(fn);
    // The operation's webhook events are queued before it answers (on failure too: a refused
    // offer may still have ended a session).
    return capture(fn).then(async (outcome) => {
      await this.#webhooks.flush();
      return outcome;
    });
  }

  /** Arms the alarm for `at` unless one at or before it is armed already. */
  #wake(at: number): void {
    if (this.#armedAt !== null && this.#armedAt <= at) return;
    this.#armedAt = at;
    // Not awaited: the output gate holds the reply until the alarm is stored.
    void this.ctx.storage.setAlarm(at);
  }

  /** Flushes counters that no write carried along within FLUSH_DELAY_MS. */
  #armFlush(): void {
    if (this.#flushTimer !== undefined) return;
    this.#flushTimer = setTimeout(() => {
      this.#flushTimer = undefined;
      if (this.#counters.pending) this.ctx.storage.transactionSync(() => this.#counters.flush());
    }, FLUSH_DELAY_MS);
  }
}
