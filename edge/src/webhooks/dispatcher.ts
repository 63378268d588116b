/**
 * WebhookDispatcher: a Durable Object (`webhooks-<n>`, n = FNV-1a-32(room or node key) %
 * DISPATCHER_COUNT) holding an outbox in SQLite. `enqueue` stores events (one row per
 * receiver) before it answers, so an event the caller handed over survives restarts of the
 * runtime; the alarm delivers them (pump.ts) until each is delivered, given up after the retry
 * window, or its receiver disabled by a 410. Thin on purpose: the logic is in pump.ts,
 * backoff.ts and deliver.ts.
 */
import { DurableObject } from 'cloudflare:workers';
import { mapBounded } from '../bounded.ts';
import { type EdgeConfig, loadConfig } from '../config.ts';
import type { Env } from '../env.ts';
import { log } from '../log.ts';
import { isScalarKey, type MetricSample } from '../metrics/definitions.ts';
import type { BackoffPolicy } from './backoff.ts';
import { attemptDelivery } from './deliver.ts';
import { DISPATCHER_COUNT, dispatcherName, type WebhookEvent, webhookBody } from './events.ts';
import { Outbox } from './outbox.ts';
import { pump } from './pump.ts';
import { secretKeyBytes } from './settings.ts';
import { importSigningKey } from './signing.ts';

/** How long after an enqueue the alarm fires if the immediate delivery run did not finish. */
const BACKSTOP_MS = 5_000;

export class WebhookDispatcher extends DurableObject<Env> {
  readonly #outbox: Outbox;
  readonly #config: EdgeConfig;
  readonly #policy: BackoffPolicy;
  /** Receivers that answered 410 (persisted; kept in memory for enqueue). */
  readonly #disabled: Set<string>;
  /** Queued deliveries, kept in memory so enqueue checks the bound without a query. */
  #depth: number;
  #key: Promise<CryptoKey> | undefined;
  /** The delivery run in progress, and whether another must follow it (new rows meanwhile). */
  #running: Promise<void> | undefined;
  #again = false;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#config = loadConfig(env);
    this.#policy = {
      baseMs: this.#config.WEBHOOK_BACKOFF_BASE_MS,
      maxMs: this.#config.WEBHOOK_BACKOFF_MAX_MS,
      retryForMs: this.#config.WEBHOOK_RETRY_FOR_MS,
    };
    this.#outbox = new Outbox(ctx.storage.sql);
    this.#disabled = this.#outbox.disabledUrls();
    // Receivers removed from WEBHOOK_URLS since the deliveries were queued get nothing.
    const dropped = this.#outbox.dropUnconfigured(this.#config.WEBHOOK_URLS);
    this.#outbox.count('webhooks_failed', 'unconfigured', dropped);
    this.#depth = this.#outbox.depth();
  }

  /**
   * Stores `events` for every enabled receiver and arms the alarm. An event past the queue
   * bound is dropped and counted (`media_edge_webhooks_failed_total{reason="queue_full"}`).
   */
  async enqueue(events: WebhookEvent[]): Promise<{ queued: number; dropped: number }> {
    const now = Date.now();
    const urls = this.#config.WEBHOOK_URLS.filter((u) => !this.#disabled.has(u));
    let queued = 0;
    let dropped = 0;
    this.ctx.storage.transactionSync(() => {
      for (const e of events) {
        const body = webhookBody(e);
        for (const url of urls) {
          if (this.#depth >= this.#config.WEBHOOK_QUEUE_LIMIT) {
            dropped++;
            continue;
          }
          this.#outbox.add(e.id, url, body, now);
          this.#depth++;
          queued++;
        }
      }
      this.#outbox.count('webhooks_failed', 'queue_full', dropped);
      this.#outbox.count(
        'webhooks_failed',
        'disabled',
        events.length * (this.#config.WEBHOOK_URLS.length - urls.length),
      );
    });
    if (dropped > 0) log('warn', 'webhook_queue_full', { dropped, depth: this.#depth });
    if (queued > 0) {
      // Delivered at once by a run started here; the alarm is the safety net should this
      // instance go away first (it is re-armed by the run for the next retry).
      const backstop = now + BACKSTOP_MS;
      const armed = await this.ctx.storage.getAlarm();
      if (armed === null || armed > backstop) await this.ctx.storage.setAlarm(backstop);
      this.#run().catch((err: unknown) => {
        log('error', 'webhook_run_failed', { error: String(err) });
      });
    }
    return { queued, dropped };
  }

  /** Another dispatcher got a 410 from `url`: stop sending there too. */
  async disable(url: string, status: number): Promise<void> {
    if (this.#disabled.has(url)) return;
    this.#disabled.add(url);
    const dropped = this.ctx.storage.transactionSync(() => {
      const n = this.#outbox.disable(url, status, Date.now());
      this.#outbox.count('webhooks_failed', 'gone', n);
      return n;
    });
    this.#depth -= dropped;
  }

  /** Counters, queue depth and the age of the oldest queued delivery, labelled by dispatcher. */
  metrics(index: number): MetricSample[] {
    const samples: MetricSample[] = [];
    for (const c of this.#outbox.counters()) {
      if (isScalarKey(c.name)) samples.push({ metric: c.name, label: c.label, value: c.value });
    }
    const oldest = this.#outbox.oldest();
    samples.push(
      { metric: 'webhooks_queue_depth', label: String(index), value: this.#depth },
      {
        metric: 'webhooks_oldest_age',
        label: String(index),
        value: oldest === null ? 0 : Math.max(0, (Date.now() - oldest) / 1000),
      },
    );
    return samples;
  }

  /** The HMAC key of WEBHOOK_SECRET, imported once (config.ts requires it with URLs). */
  #signingKey(): Promise<CryptoKey> {
    if (!this.#key) {
      const bytes = secretKeyBytes(this.#config.WEBHOOK_SECRET ?? '');
      if (!bytes) throw new Error('WEBHOOK_SECRET is not set: webhooks cannot be signed');
      this.#key = importSigningKey(bytes);
    }
    return this.#key;
  }

  override async alarm(): Promise<void> {
    await this.#run();
  }

  /** Runs deliveries; a call during a run makes that run go once more instead of overlapping. */
  #run(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      try {
        do {
          this.#again = false;
          await this.#deliverDue();
        } while (this.#again);
      } finally {
        this.#running = undefined;
      }
    })();
    return this.#running;
  }

  async #deliverDue(): Promise<void> {
    const key = this.#signingKey();
    const next = await pump({
      outbox: this.#outbox,
      policy: this.#policy,
      now: Date.now,
      attempt: async (d) => {
        const result = await attemptDelivery(
          (url, init) => fetch(url, init),
          await key,
          d,
          this.#config.WEBHOOK_TIMEOUT_MS,
          Date.now(),
        );
        if (result.kind === 'failed') {
          log('warn', 'webhook_attempt_failed', {
            id: d.id,
            attempts: d.attempts + 1,
            status: result.status,
            error: result.error,
          });
        }
        return result;
      },
      gone: async (url, status) => {
        log('warn', 'webhook_receiver_disabled', { status });
        await this.disable(url, status);
        const ns = this.env.WEBHOOK_DISPATCHER;
        const others = Array.from({ length: DISPATCHER_COUNT }, (_, i) =>
          ns.idFromName(dispatcherName(i)),
        ).filter((id) => !id.equals(this.ctx.id));
        // Best effort: a dispatcher that misses it disables the receiver on its own 410.
        await mapBounded(others, 4, (id) =>
          ns
            .get(id)
            .disable(url, status)
            .catch((err: unknown) => {
              log('error', 'webhook_disable_fanout_failed', { error: String(err) });
            }),
        );
      },
    });
    this.#depth = this.#outbox.depth();
    if (next !== null) await this.ctx.storage.setAlarm(Math.max(next, Date.now()));
  }
}
