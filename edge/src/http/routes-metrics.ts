/**
 * `GET /api/media/metrics` (admin): the counters of every shard, every room placer and the
 * registry, summed, in Prometheus text.
 */
import { Hono } from 'hono';
import { assertAdmin } from '../auth/access.ts';
import { mapBounded, withTimeout } from '../bounded.ts';
import type { MetricSample } from '../metrics/definitions.ts';
import { renderPrometheus } from '../metrics/prometheus.ts';
import { flushRequestMetrics } from '../metrics/request-flush.ts';
import { DISPATCHER_COUNT, dispatcherName } from '../webhooks/events.ts';
import { type AppEnv, config, placer, registry, shardByIndex } from './context.ts';

/** Objects scraped at once, and how long each may take, in ms. */
const SCRAPE_CONCURRENCY = 8;
const SCRAPE_TIMEOUT_MS = 2_000;

export const metricsRoutes = new Hono<AppEnv>();

metricsRoutes.get('/', async (c) => {
  assertAdmin(c.get('caller'));
  // This isolate's requests first; other isolates flush on their own within FLUSH_INTERVAL_MS.
  await flushRequestMetrics(c.env);
  const shards = Array.from({ length: config(c).SHARD_COUNT }, (_, i) => i);
  const scrape = (p: Promise<MetricSample[]>) =>
    withTimeout(
      p.catch(() => null),
      SCRAPE_TIMEOUT_MS,
      null,
    );
  // Dispatchers only once webhooks are on: scraping them would create objects for nothing.
  const dispatchers = config(c).WEBHOOK_URLS.length
    ? Array.from({ length: DISPATCHER_COUNT }, (_, i) => i)
    : [];
  // Each object of the deployment: the registry, then shard i and placer i for every i, then the
  // webhook dispatchers.
  const objects: Array<() => Promise<MetricSample[]>> = [
    () => registry(c).metrics(),
    ...shards.flatMap((i) => [() => shardByIndex(c, i).metrics(i), () => placer(c, i).metrics()]),
    ...dispatchers.map(
      (i) => () => c.env.WEBHOOK_DISPATCHER.getByName(dispatcherName(i)).metrics(i),
    ),
  ];
  const results = await mapBounded(objects, SCRAPE_CONCURRENCY, (read) => scrape(read()));
  const answered = results.filter((s): s is MetricSample[] => s !== null);
  const unreachable = objects.length - answered.length;
  const samples = answered.flat();
  samples.push({ metric: 'scrape_unreachable', label: '', value: unreachable });
  return c.text(renderPrometheus(samples), 200, {
    'content-type': 'text/plain; version=0.0.4; charset=utf-8',
  });
});
