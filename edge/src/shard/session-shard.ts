/**
 * SessionShard: one Durable Object per shard (`shard-<n>`, n = FNV-1a-32(sessionId) % SHARD_COUNT).
 * Thin on purpose: it turns RPC calls, socket events and alarms into calls on `ShardCore`, and
 * domain errors into `Outcome`s that survive the RPC boundary.
 */
import { DurableObject } from 'cloudflare:workers';
import type {
  AnswerResponse,
  EndReason,
  IceCandidateInit,
  SessionView,
} from '../../../shared/api.ts';
import { MediaError } from '../../../shared/errors.ts';
import type { NodeEvent } from '../../../shared/events.ts';
import { EVENT_QUEUE_LIMIT, SLOW_CONSUMER_GRACE_MS } from '../../../shared/limits.ts';
import { ReplayGuard } from '../../../shared/signing.ts';
import type { Caller } from '../auth/token.ts';
import { loadConfig } from '../config.ts';
import type { Env } from '../env.ts';
import { isHistogramKey, isScalarKey, type MetricSample } from '../metrics/definitions.ts';
import type { RequestBatch } from '../metrics/request-metrics.ts';
import { capture, type Outcome } from '../outcome.ts';
import { earliest } from '../session/reaper.ts';
import { EventSockets } from './event-sockets.ts';
import { claimKey, completeKey, type IdempotencyClaim } from './idempotency.ts';
import { type ListFilter, SessionStore } from './session-store.ts';
import { type CreateInput, ShardCore } from './shard-core.ts';

/** Header on the internal upgrade request that carries the authenticated caller. */
export const CALLER_HEADER = 'x-edge-caller';

export class SessionShard extends DurableObject<Env> {
  readonly #store: SessionStore;
  readonly #sockets: EventSockets;
  readonly #core: ShardCore;
  /** Nonces of node event batches this shard applied (node -> edge replay protection). */
  readonly #guard = new ReplayGuard();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    const config = loadConfig(env);
    this.#store = new SessionStore(ctx.storage.sql);
    this.#sockets = new EventSockets(
      ctx,
      this.#store,
      { limit: EVENT_QUEUE_LIMIT, graceMs: SLOW_CONSUMER_GRACE_MS },
      {
        activity: (id) => this.#core.touch(id, Date.now()),
        slowClosed: () => this.#store.count('websockets_slow_closed'),
      },
    );
    this.#core = new ShardCore({
      store: this.#store,
      sockets: this.#sockets,
      config,
      releaseRoom: (room) => env.NODE_REGISTRY.getByName('global').release(room),
    });
  }

  create(input: CreateInput): Promise<Outcome<SessionView>> {
    return this.#op(() => this.#core.create(input, Date.now()));
  }

  get(id: string, caller: Caller): Promise<Outcome<SessionView>> {
    return this.#op(() => this.#core.get(id, caller), { reads: true });
  }

  list(filter: ListFilter): Promise<Outcome<SessionView[]>> {
    return this.#op(() => this.#core.list(filter), { reads: true });
  }

  offer(id: string, caller: Caller, sdp: string): Promise<Outcome<AnswerResponse>> {
    return this.#op(() => this.#core.offer(id, caller, sdp, Date.now()));
  }

  answer(id: string, caller: Caller, sdp: string): Promise<Outcome<void>> {
    return this.#op(() => this.#core.answer(id, caller, sdp, Date.now()));
  }

  candidates(id: string, caller: Caller, list: IceCandidateInit[]): Promise<Outcome<void>> {
    return this.#op(() => this.#core.candidates(id, caller, list, Date.now()));
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

  /** Called by the registry when a node instance is gone. */
  failNode(nodeId: string, reason: EndReason, before: number): Promise<Outcome<number>> {
    return this.#op(() => this.#core.failNode(nodeId, reason, before, Date.now()));
  }

  claimIdempotency(keyHash: string, bodyHash: string): Promise<Outcome<IdempotencyClaim>> {
    return this.#op(() => claimKey(this.#store, keyHash, bodyHash, Date.now()));
  }

  completeIdempotency(
    keyHash: string,
    status: number | null,
    response: string,
  ): Promise<Outcome<void>> {
    return this.#op(() => completeKey(this.#store, keyHash, status, response));
  }

  /**
   * Request metrics a Worker isolate accumulated (request-flush.ts). Not an `#op`: it is not a
   * client request and must not arm alarms; synchronous, so a batch is applied whole.
   */
  recordRequests(batch: RequestBatch): void {
    for (const r of batch.requests) this.#store.count('http_requests', r.label, r.value);
    for (const d of batch.durations) {
      this.#store.observe('http_duration', d.label, d.counts, d.sum);
    }
  }

  /** This shard's counters plus its gauges, labelled with `shard` where it matters. */
  metrics(shard: number): MetricSample[] {
    const samples: MetricSample[] = [];
    for (const c of this.#store.counters()) {
      if (isScalarKey(c.name)) samples.push({ metric: c.name, label: c.label, value: c.value });
    }
    for (const h of this.#store.histograms()) {
      if (isHistogramKey(h.name)) {
        samples.push({ metric: h.name, label: h.label, counts: h.counts, sum: h.sum });
      }
    }
    samples.push(
      { metric: 'sessions_active', label: String(shard), value: this.#store.activeCount() },
      { metric: 'websockets_open', label: '', value: this.#sockets.count() },
    );
    return samples;
  }

  /** The event WebSocket upgrade, forwarded by the worker with the caller it authenticated. */
  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const outcome = await this.#op(() => {
      const caller = JSON.parse(request.headers.get(CALLER_HEADER) ?? 'null') as Caller;
      const id = url.searchParams.get('session') ?? '';
      this.#core.load(id, caller);
      return id;
    });
    if (!outcome.ok) {
      const e = outcome.error;
      const body = { error: { ...e.details, code: e.code, message: e.message } };
      return Response.json(body, { status: new MediaError(e.code, e.message).status });
    }
    const since = Number(url.searchParams.get('since') ?? '0');
    const response = this.#sockets.accept(outcome.value, since, Date.now());
    await this.#schedule();
    return response;
  }

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    this.#sockets.message(ws, message, Date.now());
    await this.#schedule();
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string): Promise<void> {
    try {
      ws.close(code, reason);
    } catch {
      // the runtime already completed the close handshake
    }
  }

  override async alarm(): Promise<void> {
    await this.#core.reap(Date.now());
    await this.#schedule(true);
  }

  /**
   * Runs an RPC operation: counts it, maps domain errors, re-arms the alarm. A pure read
   * (`reads`) changes no deadline, so it skips the re-arm (two MIN queries and a getAlarm).
   */
  async #op<T>(
    fn: () => T | Promise<T>,
    { reads = false }: { reads?: boolean } = {},
  ): Promise<Outcome<T>> {
    this.#store.count('shard_requests');
    const outcome = await capture(fn);
    if (!reads) await this.#schedule();
    return outcome;
  }

  /** Arms the alarm for the earliest deadline (sessions, idempotency keys, stalled sockets). */
  async #schedule(fromAlarm = false): Promise<void> {
    const next = earliest(
      this.#store.nextDeadline(),
      this.#store.nextIdempotencyExpiry(),
      this.#sockets.nextDeadline(),
    );
    const current = fromAlarm ? null : await this.ctx.storage.getAlarm();
    if (next === null) {
      if (fromAlarm) await this.ctx.storage.deleteAlarm();
      return;
    }
    if (current === null || next < current) await this.ctx.storage.setAlarm(next);
  }
}
