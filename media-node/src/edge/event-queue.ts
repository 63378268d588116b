/**
 * Session events to the edge: batched (a few ms, at most 500 per request), retried with
 * exponential backoff, and bounded: when the edge is unreachable for long, the oldest events
 * are dropped (logged and counted) instead of growing memory without limit.
 */
import type { NodeEvent } from '../../../shared/events.ts';
import { INTERNAL_BASE } from '../../../shared/internal.ts';
import type { Logger } from '../log.ts';
import type { EdgeClient } from './edge-client.ts';

const BATCH_MAX = 500;

export interface EventQueueOptions {
  nodeId: string;
  client: EdgeClient | undefined;
  log: Logger;
  /** Events held while the edge is unreachable; past it the oldest are dropped. */
  capacity?: number;
  /** Delay that lets events of one burst share a request, in ms. */
  batchDelayMs?: number;
  /** Backoff bounds between failed attempts, in ms. */
  retryMinMs?: number;
  retryMaxMs?: number;
  onDrop?(count: number): void;
  onFailure?(): void;
}

export class EventQueue {
  readonly #o: Required<Omit<EventQueueOptions, 'client'>> & { client: EdgeClient | undefined };
  #queue: NodeEvent[] = [];
  #timer: NodeJS.Timeout | undefined;
  #sending: Promise<void> | undefined;
  #backoffMs = 0;
  #closed = false;

  constructor(options: EventQueueOptions) {
    this.#o = {
      capacity: 10_000,
      batchDelayMs: 10,
      retryMinMs: 100,
      retryMaxMs: 5_000,
      onDrop: () => {},
      onFailure: () => {},
      ...options,
    };
  }

  /** Events waiting or in flight. */
  get size(): number {
    return this.#queue.length;
  }

  /** Queues one event; never blocks, never throws. */
  push(event: NodeEvent): void {
    if (this.#closed || !this.#o.client) {
      this.#o.log.debug({ event }, 'event_not_sent');
      return;
    }
    this.#queue.push(event);
    this.#trim();
    this.#schedule(this.#queue.length >= BATCH_MAX ? 0 : this.#o.batchDelayMs);
  }

  /** Sends what is queued, retrying until empty or `deadlineMs` passes; then stops the queue. */
  async flushAndClose(deadlineMs: number): Promise<void> {
    const deadline = Date.now() + deadlineMs;
    this.#clearTimer();
    while (this.#queue.length > 0 && Date.now() < deadline && this.#o.client) {
      await (this.#sending ?? this.#send());
      if (this.#queue.length > 0 && this.#backoffMs > 0) {
        await sleep(Math.min(this.#backoffMs, Math.max(0, deadline - Date.now())));
      }
    }
    if (this.#sending) await this.#sending;
    this.#closed = true;
    this.#clearTimer();
    if (this.#queue.length > 0) {
      this.#o.onDrop(this.#queue.length);
      this.#o.log.warn({ dropped: this.#queue.length }, 'edge_events_unsent_at_shutdown');
      this.#queue = [];
    }
  }

  #trim(): void {
    const excess = this.#queue.length - this.#o.capacity;
    if (excess <= 0) return;
    this.#queue.splice(0, excess);
    this.#o.onDrop(excess);
    this.#o.log.warn({ dropped: excess, capacity: this.#o.capacity }, 'edge_events_dropped');
  }

  #schedule(delayMs: number): void {
    if (this.#timer || this.#sending || this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#send();
    }, delayMs);
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #send(): Promise<void> {
    if (this.#sending) return this.#sending;
    this.#clearTimer();
    const client = this.#o.client;
    if (!client || this.#queue.length === 0) return Promise.resolve();
    // The batch leaves the queue while in flight, so overflow drops never touch it and a
    // success can never remove the wrong events; on failure it goes back to the front.
    const batch = this.#queue.splice(0, BATCH_MAX);
    this.#sending = (async () => {
      let ok = false;
      let drop = false;
      try {
        const res = await client.post(`${INTERNAL_BASE}/events`, {
          nodeId: this.#o.nodeId,
          events: batch,
        });
        ok = res.status >= 200 && res.status < 300;
        // A 4xx other than 408/429 will not succeed on retry: drop the batch, loudly.
        drop =
          !ok && res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 429;
        if (!ok)
          this.#o.log.warn(
            { status: res.status, body: res.body.slice(0, 200) },
            'edge_events_refused',
          );
      } catch (error) {
        this.#o.log.warn({ err: error }, 'edge_events_failed');
      }
      if (ok || drop) {
        if (drop) this.#o.onDrop(batch.length);
        this.#backoffMs = 0;
        return;
      }
      this.#o.onFailure();
      this.#backoffMs = Math.min(
        this.#o.retryMaxMs,
        Math.max(this.#o.retryMinMs, this.#backoffMs * 2),
      );
      this.#queue = batch.concat(this.#queue);
      this.#trim();
    })().finally(() => {
      this.#sending = undefined;
      if (this.#queue.length > 0 && !this.#closed) this.#schedule(this.#backoffMs || 0);
    });
    return this.#sending;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
