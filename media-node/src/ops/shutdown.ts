/**
 * Graceful shutdown, in order: stop accepting sessions and tell the edge (`draining`), let
 * sessions end by themselves until the drain deadline, close the rest with `node_shutdown`
 * (so clients rejoin elsewhere), flush the events, tell the edge `stopped`, close the server.
 */
import type { Server } from 'node:http';
import type { EdgeClient } from '../edge/edge-client.ts';
import type { EventQueue } from '../edge/event-queue.ts';
import type { Heartbeats } from '../edge/heartbeat.ts';
import type { Logger } from '../log.ts';
import { withTimeout } from '../util/timers.ts';
import type { SessionHost } from '../workers/session-host.ts';
import type { Metrics } from './metrics.ts';

/** Bound on each step that talks to the edge after the drain deadline, in ms. */
const EDGE_STEP_TIMEOUT_MS = 3_000;
/** While draining, what is being waited for is logged this often, in ms. */
export const DRAIN_PROGRESS_INTERVAL_MS = 5_000;

export interface ShutdownParts {
  sessions: SessionHost;
  events: EventQueue;
  heartbeats: Heartbeats | undefined;
  edge: EdgeClient | undefined;
  server: Server;
  metrics: Metrics;
  log: Logger;
  drainTimeoutMs: number;
  /** Defaults to {@link DRAIN_PROGRESS_INTERVAL_MS} (tests shorten it). */
  progressIntervalMs?: number;
}

export interface ShutdownResult {
  sessionsAtStart: number;
  endedDuringDrain: number;
  forcedCloses: number;
  durationMs: number;
}

export async function shutdown(p: ShutdownParts): Promise<ShutdownResult> {
  const started = performance.now();
  const sessionsAtStart = p.sessions.sessionCount;
  p.sessions.startDraining();
  p.metrics.draining.set(1);
  p.log.info(
    { sessions: sessionsAtStart, rooms: p.sessions.roomCount, drainTimeoutMs: p.drainTimeoutMs },
    'shutting_down',
  );
  await withTimeout(p.heartbeats?.setState('draining') ?? Promise.resolve(), EDGE_STEP_TIMEOUT_MS);
  const deadline = started + p.drainTimeoutMs;
  // A drain can last the whole deadline (30 s by default): say what it waits for, so an
  // operator watching Ctrl-C knows it is sessions and not a hang.
  const progress = setInterval(() => {
    p.log.info(
      {
        sessions: p.sessions.sessionCount,
        rooms: p.sessions.roomCount,
        remainingMs: Math.max(0, Math.round(deadline - performance.now())),
      },
      'draining_wait',
    );
  }, p.progressIntervalMs ?? DRAIN_PROGRESS_INTERVAL_MS);
  try {
    await p.sessions.waitUntilEmpty(Math.max(0, deadline - performance.now()));
  } finally {
    clearInterval(progress);
  }
  const forcedCloses = await p.sessions.closeAll('node_shutdown');
  p.metrics.drainForcedCloses.inc(forcedCloses);
  await p.sessions.stop();
  await p.events.flushAndClose(EDGE_STEP_TIMEOUT_MS);
  p.heartbeats?.stop();
  await withTimeout(p.heartbeats?.setState('stopped') ?? Promise.resolve(), EDGE_STEP_TIMEOUT_MS);
  await p.edge?.close();
  await new Promise<void>((resolve) => {
    p.server.close(() => resolve());
    p.server.closeAllConnections();
  });
  const result: ShutdownResult = {
    sessionsAtStart,
    endedDuringDrain: sessionsAtStart - forcedCloses,
    forcedCloses,
    durationMs: Math.round(performance.now() - started),
  };
  p.log.info(result, 'stopped');
  return result;
}
