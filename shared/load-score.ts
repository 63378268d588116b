/**
 * The one load score and the one admission rule, used by the edge to pick a node and by a media
 * node to pick a worker thread for a new room. Pure: no I/O.
 */

/** One worker thread's load, as a node's heartbeat reports it (`load.workers`). */
export interface WorkerShare {
  sessions: number;
  /** Busy fraction of the worker's core over the last interval, 0..1. */
  cpu: number;
  /** The worker refuses new sessions now (its load guard); only the node itself knows this. */
  overloaded?: boolean | undefined;
}

/** A node's load as its heartbeat reports it (a subset of `Heartbeat['load']`). */
export interface NodeLoad {
  sessions: number;
  maxSessions: number;
  workers?: readonly WorkerShare[] | undefined;
}

/** Sessions a worker takes before its session share reaches 1: `maxSessions` split evenly. */
export function perWorkerMax(maxSessions: number, workerCount: number): number {
  return Math.max(1, maxSessions / Math.max(1, workerCount));
}

/**
 * A worker's load in 0..1 (2 when it refuses sessions): the higher of its session share and its
 * CPU, plus 1 while its load guard refuses sessions, so such a worker comes after every other.
 * A worker without sessions counts as idle whatever its last report says: its first window
 * includes loading werift and the addon, which would otherwise send a node's second room to its
 * first worker.
 */
export function workerScore(w: WorkerShare, perWorker: number): number {
  if (w.sessions === 0) return 0;
  return Math.max(w.sessions / perWorker, w.cpu) + (w.overloaded ? 1 : 0);
}

/** The worker a new room goes to: the lowest `workerScore`, ties to the first. */
export function pickWorker<W extends WorkerShare>(
  workers: readonly W[],
  maxSessions: number,
): W | undefined {
  const perWorker = perWorkerMax(maxSessions, workers.length);
  let best: W | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const w of workers) {
    const score = workerScore(w, perWorker);
    if (score < bestScore) {
      best = w;
      bestScore = score;
    }
  }
  return best;
}

/**
 * A node's load for a new session, 0..1 (above 1 only when over capacity or a worker refuses).
 * `pending` counts sessions placed since the last heartbeat (not in `load` yet). Without worker
 * figures it is the node's session share; with them, the share of the worker the node would
 * pick (`pickWorker`), because that is where the session lands, and at least the pending share.
 */
export function loadScore(load: NodeLoad, pending = 0): number {
  const workers = load.workers;
  if (!workers || workers.length === 0) return (load.sessions + pending) / load.maxSessions;
  const perWorker = perWorkerMax(load.maxSessions, workers.length);
  let best = Number.POSITIVE_INFINITY;
  for (const w of workers) best = Math.min(best, workerScore(w, perWorker));
  return Math.max(best, pending / load.maxSessions);
}

/** Whether a node takes one more session: below `maxSessions`, pending placements included. */
export function admits(load: NodeLoad, pending = 0): boolean {
  return load.sessions + pending < load.maxSessions;
}
