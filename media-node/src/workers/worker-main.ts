/**
 * Entry of one forwarding worker thread: a `SessionRegistry` of its own (werift sessions, rooms,
 * fast path, reaper, load guard) with its own metrics registry, driven by the main thread's
 * `WorkerPool` over `parentPort`. Events, closed sessions and load go up as messages.
 *
 * Uncaught errors follow main.ts: werift's own are counted and the worker goes on; anything
 * else exits the worker with code 1 and the pool replaces it (its sessions fail with node_lost).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createLogger } from '../log.ts';
import { createErrorReporter } from '../ops/error-reporter.ts';
import { createMetrics, WORKER_THREAD_SOURCES } from '../ops/metrics.ts';
import { isWeriftError } from '../ops/werift-errors.ts';
import { SessionRegistry } from '../rtc/session-registry.ts';
import { type Call, type FromWorker, toWire, type WorkerApi, type WorkerInit } from './protocol.ts';

/** How often the worker reports its load (the load guard's window). */
const LOAD_REPORT_MS = 1_000;

const port = parentPort;
if (!port) throw new Error('worker-main.ts runs as a worker thread (see worker-pool.ts)');
const { config, index } = workerData as WorkerInit;
const log = createLogger(config).child({ worker: index });
const metrics = createMetrics(config.nodeId, WORKER_THREAD_SOURCES, { processMetrics: false });
const report = createErrorReporter(log, metrics);
const post = (message: FromWorker) => port.postMessage(message);

const registry = new SessionRegistry({
  config,
  metrics,
  report,
  log,
  emit: (event) => post({ type: 'event', event }),
  onSessionClosed: (sessionId) => post({ type: 'closed', sessionId }),
});

const api: WorkerApi = {
  offer: (id, req) => registry.offer(id, req),
  answer: (id, sdp) => registry.answer(id, sdp),
  candidates: (id, candidates) => registry.candidates(id, candidates),
  view: (id) => registry.view(id),
  setSubscription: (id, trackId, change) => registry.setSubscription(id, trackId, change),
  roomView: (name) => registry.roomView(name),
  close: (id, reason) => registry.close(id, reason),
  startDraining: () => registry.startDraining(),
  closeAll: (reason) => registry.closeAll(reason),
  metrics: () => metrics.registry.getMetricsAsJSON(),
};

port.on('message', async (call: Call) => {
  try {
    const method = api[call.method] as (...args: unknown[]) => unknown;
    const value = await method(...call.args);
    post({ type: 'reply', id: call.id, ok: true, value });
  } catch (error) {
    post({ type: 'reply', id: call.id, ok: false, error: toWire(error) });
  }
});

function onUncaught(kind: string) {
  return (error: unknown) => {
    if (isWeriftError(error)) {
      report(error, kind);
      return;
    }
    log.fatal({ err: error, kind }, 'fatal_error');
    process.exit(1);
  };
}
process.on('uncaughtException', onUncaught('uncaught_exception'));
process.on('unhandledRejection', onUncaught('unhandled_rejection'));

registry.start();
post({ type: 'ready' });
setInterval(() => {
  post({ type: 'load', ...registry.load.last, overloaded: registry.load.overloaded });
}, LOAD_REPORT_MS).unref();
