/**
 * Per-worker-thread load (issue 7): what each forwarding worker carries and how busy it is, the
 * same figures the heartbeat gives the edge for placement. Registered by `createMetrics`; empty
 * when sessions run on the main thread (`WORKERS=0`).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { WorkerLoad } from '../workers/session-host.ts';

export function createWorkerMetrics(registers: Registry[], workers: () => readonly WorkerLoad[]) {
  const perWorker = (
    name: string,
    help: string,
    value: (w: WorkerLoad) => number,
  ): Gauge<'worker'> =>
    new Gauge({
      name,
      help,
      labelNames: ['worker'] as const,
      registers,
      collect() {
        this.reset();
        for (const w of workers()) this.set({ worker: String(w.id) }, value(w));
      },
    });
  return {
    count: new Gauge({
      name: 'media_workers',
      help: 'Forwarding worker threads (0 = sessions run on the main thread)',
      registers,
      collect() {
        this.set(workers().length);
      },
    }),
    sessions: perWorker(
      'media_worker_sessions',
      'Sessions on each worker thread',
      (w) => w.sessions,
    ),
    cpu: perWorker(
      'media_worker_cpu_ratio',
      "Busy fraction of each worker thread's core over the last second",
      (w) => w.cpu,
    ),
    utilization: perWorker(
      'media_worker_event_loop_utilization',
      "Busy fraction of each worker thread's event loop over the last second (1 = saturated)",
      (w) => w.utilization,
    ),
    lag: perWorker(
      'media_worker_event_loop_lag_p99_seconds',
      'Event-loop lag p99 of each worker thread over the last second',
      (w) => w.lagP99Ms / 1000,
    ),
    restarts: new Counter({
      name: 'media_worker_restarts_total',
      help: 'Worker threads that died and were replaced (their sessions failed with node_lost)',
      registers,
    }),
  };
}
