/**
 * Gets this isolate's request metrics into a Durable Object, where the scrape finds them.
 *
 * Why: a Worker isolate is stateless and one of many, and a scrape reaches just one of them.
 * Each isolate accumulates in memory (request-metrics.ts) and hands its batch to one session
 * shard, chosen by hashing a random isolate id, so the existing scrape fan-out over the shards
 * sums every isolate's share. The first request after a flush schedules the next one for
 * FLUSH_INTERVAL_MS later through `waitUntil` (which keeps the isolate alive for it), so data
 * lands within seconds even when traffic stops; a scrape flushes its own isolate first.
 * Lost on isolate eviction: at most one interval of this isolate's requests.
 */
import { shardFor } from '../../../shared/hash.ts';
import { withTimeout } from '../bounded.ts';
import { loadConfig } from '../config.ts';
import type { Env } from '../env.ts';
import { log } from '../log.ts';
import { RequestMetrics } from './request-metrics.ts';

/** Least time between two timed flushes of one isolate, in ms (one DO write per interval). */
export const FLUSH_INTERVAL_MS = 5_000;
/** How long a flush may wait for the shard, in ms. */
const FLUSH_TIMEOUT_MS = 2_000;

const pending = new RequestMetrics();
/** Random ids may only be drawn inside a request in Workers, hence lazily. */
let isolateId: string | undefined;
/** When the timed flush was scheduled (0: none); a stale one (runtime cancelled it) is replaced. */
let scheduledAt = 0;

function shard(env: Env) {
  isolateId ??= crypto.randomUUID();
  const index = shardFor(isolateId, loadConfig(env).SHARD_COUNT);
  return env.SESSION_SHARD.getByName(`shard-${index}`);
}

/** What recording needs of the request's ExecutionContext. */
export interface Background {
  waitUntil(promise: Promise<unknown>): void;
}

/** Records one request and makes sure a flush is scheduled (needs the request's context). */
export function recordRequest(
  env: Env,
  ctx: Background | undefined,
  request: { method: string; route: string; status: number; seconds: number },
): void {
  pending.record(request.method, request.route, request.status, request.seconds);
  const now = Date.now();
  if (!ctx || (scheduledAt !== 0 && now - scheduledAt < 3 * FLUSH_INTERVAL_MS)) return;
  scheduledAt = now;
  ctx.waitUntil(
    new Promise((resolve) => setTimeout(resolve, FLUSH_INTERVAL_MS)).then(() => {
      scheduledAt = 0;
      return flushRequestMetrics(env);
    }),
  );
}

/** Hands what this isolate recorded to its shard; a failed delivery is kept for the next one. */
export async function flushRequestMetrics(env: Env): Promise<void> {
  const batch = pending.take();
  if (!batch) return;
  const delivered = await withTimeout(
    shard(env)
      .recordRequests(batch)
      .then(() => 'ok' as const)
      .catch((err: unknown) => {
        pending.restore(batch);
        log('warn', 'request_metrics_flush_failed', { message: String(err) });
        return 'failed' as const;
      }),
    FLUSH_TIMEOUT_MS,
    'timeout' as const,
  );
  // On timeout the shard may still apply the batch: not restoring it avoids counting twice.
  if (delivered === 'timeout') log('warn', 'request_metrics_flush_timeout');
}
