/**
 * Where the shards, the room placers and the registry put webhook events. `emit` writes the event
 * to the object's hand-off outbox (handoff-store.ts) in the caller's synchronous turn, so it
 * commits with the state change that raised it, and arms the object's alarm as a backstop;
 * `flush` hands the outbox to the dispatcher objects, oldest first, and deletes only what a
 * dispatcher acknowledged. A failed hand-off stays in the outbox and is retried by the next
 * flush (the object's next operation or its alarm): at-least-once, each event keeping its
 * delivery id, so a hand-off that was stored but whose acknowledgement was lost reaches
 * receivers twice with the same `webhook-id`. With no WEBHOOK_URLS the callers get
 * {@link DISABLED_SINK}: no table, no call, nothing on the request's path.
 */
import { log } from '../log.ts';
import type { WebhookDispatcher } from './dispatcher.ts';
import { dispatcherFor, dispatcherName, type WebhookEvent } from './events.ts';
import { type HandoffStore, type PendingEvent, SqlHandoffStore } from './handoff-store.ts';

export interface WebhookSink {
  emit(event: WebhookEvent): void;
  /** Resolves once every event emitted before the call was handed over or left for a retry. */
  flush(): Promise<void>;
  readonly enabled: boolean;
  /** Whether events may wait in the outbox (owners that compute their next alarm ask). */
  readonly pending: boolean;
}

export const DISABLED_SINK: WebhookSink = {
  emit() {},
  flush: () => Promise.resolve(),
  enabled: false,
  pending: false,
};

/** Stores events on dispatcher `index`; throws when it refused or could not be reached. */
export type EnqueueCall = (index: number, events: WebhookEvent[]) => Promise<unknown>;

/** Events per hand-off call (and per DELETE: the SQL bound-parameter limit is 100). */
export const HANDOFF_BATCH = 100;
/** When a failed (or not yet attempted) hand-off is tried again by the owner's alarm, in ms. */
export const HANDOFF_RETRY_MS = 2_000;

export interface OutboxSinkDeps {
  store: HandoffStore;
  enqueue: EnqueueCall;
  /** The owner's alarm must fire no later than `at` (ms since epoch); it calls `flush`. */
  wake(at: number): void;
  /** Counts events whose hand-off failed and waits for a retry. */
  retried(count: number): void;
  now?: () => number;
}

export class OutboxSink implements WebhookSink {
  readonly enabled = true;
  readonly #d: OutboxSinkDeps;
  /** The previous flush: flushes run one after another, so events keep their order. */
  #tail: Promise<void> = Promise.resolve();
  /** Whether the outbox may hold events (true at start: a restart may have left some). */
  #maybePending = true;

  constructor(deps: OutboxSinkDeps) {
    this.#d = deps;
  }

  emit(event: WebhookEvent): void {
    this.#d.store.add(event);
    this.#maybePending = true;
    // The backstop should this object go away before its flush: the alarm retries.
    this.#d.wake(this.#now() + HANDOFF_RETRY_MS);
  }

  flush(): Promise<void> {
    if (!this.#maybePending) return this.#tail;
    this.#tail = this.#tail.then(() => this.#drain());
    return this.#tail;
  }

  get pending(): boolean {
    return this.#maybePending;
  }

  #now(): number {
    return (this.#d.now ?? Date.now)();
  }

  async #drain(): Promise<void> {
    for (;;) {
      const batch = this.#d.store.oldest(HANDOFF_BATCH);
      if (batch.length === 0) {
        this.#maybePending = false;
        return;
      }
      const failed = await this.#handOff(batch);
      if (failed > 0) {
        this.#d.retried(failed);
        this.#d.wake(this.#now() + HANDOFF_RETRY_MS);
        return;
      }
      if (batch.length < HANDOFF_BATCH) {
        this.#maybePending = this.#d.store.count() > 0;
        if (!this.#maybePending) return;
      }
    }
  }

  /**
   * One call per dispatcher, side by side; each deletes its events once acknowledged. A room's
   * (or node's) events all go to one dispatcher, so a failure never lets a later event of the
   * same key overtake an earlier one: both stay, in order, for the retry. Returns the events left.
   */
  async #handOff(batch: PendingEvent[]): Promise<number> {
    const byDispatcher = new Map<number, PendingEvent[]>();
    for (const p of batch) {
      const i = dispatcherFor(p.event.key);
      byDispatcher.set(i, [...(byDispatcher.get(i) ?? []), p]);
    }
    const left = await Promise.all(
      [...byDispatcher].map(async ([index, pending]) => {
        try {
          await this.#d.enqueue(
            index,
            pending.map((p) => p.event),
          );
        } catch (err) {
          log('warn', 'webhook_handoff_failed', {
            dispatcher: index,
            events: pending.length,
            error: String(err),
          });
          return pending.length;
        }
        this.#d.store.remove(pending.map((p) => p.seq));
        return 0;
      }),
    );
    return left.reduce((a, b) => a + b, 0);
  }
}

/**
 * The sink of a shard, placer or registry: a durable outbox in `sql` handed to the dispatchers
 * when WEBHOOK_URLS is set, else {@link DISABLED_SINK}.
 */
export function sinkFor(
  urls: readonly string[],
  sql: SqlStorage,
  dispatchers: DurableObjectNamespace<WebhookDispatcher>,
  hooks: { wake(at: number): void; retried(count: number): void },
): WebhookSink {
  if (urls.length === 0) return DISABLED_SINK;
  return new OutboxSink({
    store: new SqlHandoffStore(sql),
    enqueue: (index, events) => dispatchers.getByName(dispatcherName(index)).enqueue(events),
    wake: hooks.wake,
    retried: hooks.retried,
  });
}
