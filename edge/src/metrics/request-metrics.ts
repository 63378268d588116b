/**
 * Per-isolate accumulation of request metrics (counts by method, route pattern and status;
 * latency histogram by method and route). Plain data in memory: the Worker hands a batch to a
 * Durable Object now and then (see request-flush.ts), since isolates are many and short-lived.
 */
import { encodeLabels, LATENCY_BUCKETS_SECONDS } from './definitions.ts';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** Status codes the edge answers with; anything else is counted by class (`5xx`). */
const STATUSES = new Set([
  101, 200, 201, 204, 400, 401, 403, 404, 405, 409, 413, 415, 429, 500, 502, 503, 504,
]);

/** Route pattern for requests that matched no handler (404s of unknown paths). */
export const UNMATCHED_ROUTE = 'unmatched';

/** A bounded `method` label: the standard methods, else `other`. */
export function methodLabel(method: string): string {
  const upper = method.toUpperCase();
  return METHODS.has(upper) ? upper : 'other';
}

/** A bounded `status` label: a known code, else its class (`4xx`, `5xx`). */
export function statusLabel(status: number): string {
  return STATUSES.has(status) ? String(status) : `${Math.floor(status / 100)}xx`;
}

/** Index of the first bucket whose upper bound holds `seconds` (the last one is +Inf). */
export function bucketIndex(seconds: number): number {
  const i = LATENCY_BUCKETS_SECONDS.findIndex((le) => seconds <= le);
  return i === -1 ? LATENCY_BUCKETS_SECONDS.length : i;
}

/** What one flush carries: encoded label -> count, and encoded label -> histogram series. */
export interface RequestBatch {
  requests: Array<{ label: string; value: number }>;
  durations: Array<{ label: string; counts: number[]; sum: number }>;
}

export class RequestMetrics {
  #requests = new Map<string, number>();
  #durations = new Map<string, { counts: number[]; sum: number }>();

  /** Counts one request; `route` must already be a pattern, never a raw path. */
  record(method: string, route: string, status: number, seconds: number): void {
    const m = methodLabel(method);
    const countKey = encodeLabels([m, route, statusLabel(status)]);
    this.#requests.set(countKey, (this.#requests.get(countKey) ?? 0) + 1);
    const durationKey = encodeLabels([m, route]);
    const series = this.#durations.get(durationKey) ?? {
      counts: new Array<number>(LATENCY_BUCKETS_SECONDS.length + 1).fill(0),
      sum: 0,
    };
    const i = bucketIndex(seconds);
    series.counts[i] = (series.counts[i] ?? 0) + 1;
    series.sum += seconds;
    this.#durations.set(durationKey, series);
  }

  get empty(): boolean {
    return this.#requests.size === 0;
  }

  /** Everything recorded since the last take, and a fresh start; `null` when nothing was. */
  take(): RequestBatch | null {
    if (this.empty) return null;
    const batch: RequestBatch = {
      requests: [...this.#requests].map(([label, value]) => ({ label, value })),
      durations: [...this.#durations].map(([label, d]) => ({ label, ...d })),
    };
    this.#requests = new Map();
    this.#durations = new Map();
    return batch;
  }

  /** Puts back a batch whose delivery failed, so the next flush carries it. */
  restore(batch: RequestBatch): void {
    for (const { label, value } of batch.requests) {
      this.#requests.set(label, (this.#requests.get(label) ?? 0) + value);
    }
    for (const { label, counts, sum } of batch.durations) {
      const series = this.#durations.get(label) ?? {
        counts: new Array<number>(counts.length).fill(0),
        sum: 0,
      };
      counts.forEach((c, i) => {
        series.counts[i] = (series.counts[i] ?? 0) + c;
      });
      series.sum += sum;
      this.#durations.set(label, series);
    }
  }
}
