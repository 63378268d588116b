/**
 * Where the shards and the registry put webhook events: `emit` only buffers (synchronous, so
 * the logic that decides an event stays synchronous); `flush` hands the buffer to the
 * dispatcher objects, in emit order, before the caller answers. With no WEBHOOK_URLS the
 * callers get {@link DISABLED_SINK}: no buffer, no call, nothing on the request's path.
 */
import { log } from '../log.ts';
import type { WebhookDispatcher } from './dispatcher.ts';
import { dispatcherFor, dispatcherName, type WebhookEvent } from './events.ts';

export interface WebhookSink {
  emit(event: WebhookEvent): void;
  /** Resolves once every event emitted before the call is queued (or counted as lost). */
  flush(): Promise<void>;
  readonly enabled: boolean;
}

export const DISABLED_SINK: WebhookSink = {
  emit() {},
  flush: () => Promise.resolve(),
  enabled: false,
};

/** Queues events on dispatcher `index`; false when it refused or could not be reached. */
export type EnqueueCall = (index: number, events: WebhookEvent[]) => Promise<unknown>;

/** Hand-offs tried per batch before its events are counted as lost. */
const ENQUEUE_ATTEMPTS = 2;

export class BufferedSink implements WebhookSink {
  readonly enabled = true;
  #buffer: WebhookEvent[] = [];
  /** The previous flush: flushes run one after another, so events keep their order. */
  #tail: Promise<void> = Promise.resolve();
  readonly #enqueue: EnqueueCall;
  readonly #lost: (count: number) => void;

  constructor(enqueue: EnqueueCall, lost: (count: number) => void) {
    this.#enqueue = enqueue;
    this.#lost = lost;
  }

  emit(event: WebhookEvent): void {
    this.#buffer.push(event);
  }

  flush(): Promise<void> {
    if (this.#buffer.length === 0) return this.#tail;
    const batch = this.#buffer;
    this.#buffer = [];
    this.#tail = this.#tail.then(() => this.#send(batch));
    return this.#tail;
  }

  async #send(batch: WebhookEvent[]): Promise<void> {
    const byDispatcher = new Map<number, WebhookEvent[]>();
    for (const e of batch) {
      const i = dispatcherFor(e.key);
      byDispatcher.set(i, [...(byDispatcher.get(i) ?? []), e]);
    }
    await Promise.all(
      [...byDispatcher].map(async ([index, events]) => {
        for (let attempt = 1; attempt <= ENQUEUE_ATTEMPTS; attempt++) {
          try {
            await this.#enqueue(index, events);
            return;
          } catch (err) {
            if (attempt === ENQUEUE_ATTEMPTS) {
              log('error', 'webhook_enqueue_failed', {
                dispatcher: index,
                events: events.length,
                error: String(err),
              });
              this.#lost(events.length);
            }
          }
        }
      }),
    );
  }
}

/**
 * The sink of a shard or the registry: buffered towards the dispatchers when WEBHOOK_URLS is
 * set, else {@link DISABLED_SINK}. `lost` counts events no dispatcher took.
 */
export function sinkFor(
  urls: readonly string[],
  dispatchers: DurableObjectNamespace<WebhookDispatcher>,
  lost: (count: number) => void,
): WebhookSink {
  if (urls.length === 0) return DISABLED_SINK;
  return new BufferedSink(
    (index, events) => dispatchers.getByName(dispatcherName(index)).enqueue(events),
    lost,
  );
}
