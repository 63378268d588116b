/**
 * Wires one media node: sessions (on worker threads or this one), HTTP server, metrics, edge
 * link (heartbeats + events) and shutdown. `main.ts` runs it as a process; tests create it
 * in-process.
 */
import type { AddressInfo } from 'node:net';
import { AggregatorRegistry } from 'prom-client';
import type { NodeEvent } from '../../shared/events.ts';
import { ReplayGuard } from '../../shared/signing.ts';
import type { Config } from './config.ts';
import { createEdgeClient, type EdgeClient } from './edge/edge-client.ts';
import { EventQueue } from './edge/event-queue.ts';
import { Heartbeats } from './edge/heartbeat.ts';
import { addInternalRoutes } from './http/internal-routes.ts';
import { addOpsRoutes } from './http/ops-routes.ts';
import { Router } from './http/router.ts';
import { createHttpServer } from './http/server.ts';
import type { Route } from './http/types.ts';
import type { Logger } from './log.ts';
import { createErrorReporter } from './ops/error-reporter.ts';
import { createMetrics, type Metrics } from './ops/metrics.ts';
import { type ShutdownResult, shutdown } from './ops/shutdown.ts';
import { IceTcpMux, installIceTcpMux } from './rtc/ice-tcp/ice-tcp-mux.ts';
import { SessionRegistry } from './rtc/session-registry.ts';
import type { ErrorReporter } from './util/guard.ts';
import type { SessionHost } from './workers/session-host.ts';
import { WorkerPool } from './workers/worker-pool.ts';

export interface MediaNode {
  /** The sessions: this thread's registry (`WORKERS=0`) or the worker pool. */
  readonly sessions: SessionHost;
  readonly metrics: Metrics;
  readonly report: ErrorReporter;
  /** Base URL of the HTTP server (known after `start`). */
  readonly url: string;
  start(): Promise<void>;
  /** Graceful shutdown (drain, then force); resolves once everything is closed. Idempotent. */
  shutdown(): Promise<ShutdownResult>;
}

export function createMediaNode(config: Config, log: Logger): MediaNode {
  const startedAt = Date.now();
  // Read by the gauges at scrape time; set once the sessions exist (they need the metrics).
  let live: SessionHost | undefined;
  const metrics = createMetrics(config.nodeId, {
    activeSessions: () => live?.sessionCount ?? 0,
    activeRooms: () => live?.roomCount ?? 0,
    drainRemaining: () => (live?.draining ? live.sessionCount : 0),
    roomSizes: () => live?.roomSizes() ?? [],
    workers: () => live?.workerLoads() ?? [],
  });
  const report = createErrorReporter(log, metrics);
  // A node with a public (development) key must not register: anyone could drive it.
  const edge: EdgeClient | undefined =
    config.edgeUrl && config.insecure === undefined
      ? createEdgeClient(config.edgeUrl, config.nodeKey, config.nodeId)
      : undefined;
  const events = new EventQueue({
    nodeId: config.nodeId,
    client: edge,
    log,
    onDrop: (n) => metrics.eventsDropped.inc(n),
    onFailure: () => metrics.edgeRequestFailures.inc({ kind: 'events' }),
  });
  const emit = (e: NodeEvent) => events.push(e);
  const sessions: SessionHost =
    config.workers > 0
      ? new WorkerPool({ config, emit, metrics, log })
      : new SessionRegistry({ config, metrics, emit, report, log });
  live = sessions;
  // The HTTP server answers before the worker threads are up (the port is bound first, so a
  // busy port fails fast): `/readyz` says `starting` until `start()` completed.
  let started = false;
  const router = new Router<Route>();
  addInternalRoutes(router, sessions);
  addOpsRoutes(router, () => scrape(metrics, sessions), {
    notReadyReason: () =>
      config.insecure !== undefined
        ? 'misconfigured'
        : !started
          ? 'starting'
          : sessions.draining
            ? 'draining'
            : sessions.sessionCount >= config.maxSessions
              ? 'capacity_exceeded'
              : undefined,
  });
  const server = createHttpServer({
    edgeUrl: config.edgeUrl,
    router,
    nodeKey: config.nodeKey,
    nodeId: config.nodeId,
    notBefore: startedAt,
    misconfigured: config.insecure,
    replayGuard: new ReplayGuard(),
    maxBodyBytes: config.maxBodyBytes,
    metrics,
    log,
  });
  let url = config.publicUrl ?? '';
  const heartbeats = edge
    ? new Heartbeats({
        client: edge,
        intervalMs: config.heartbeatIntervalMs,
        log,
        identity: {
          nodeId: config.nodeId,
          url: () => url,
          region: config.region,
          location: config.location,
          startedAt,
        },
        load: () => ({
          sessions: sessions.sessionCount,
          rooms: sessions.roomCount,
          maxSessions: config.maxSessions,
          sessionsLagMs: sessions.lagP99Ms(),
          workers: sessions.workerLoads()?.map((w) => ({
            id: w.id,
            sessions: w.sessions,
            rooms: w.rooms,
            cpu: w.cpu,
          })),
        }),
        onFailure: () => metrics.edgeRequestFailures.inc({ kind: 'heartbeat' }),
      })
    : undefined;
  let starting: Promise<void> | undefined;
  let stopping: Promise<ShutdownResult> | undefined;
  /** The ICE-TCP listener (ICE_TCP_PORT), closed after the sessions on shutdown. */
  let iceTcp: IceTcpMux | undefined;

  const start = async () => {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(config.port, config.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const { port } = server.address() as AddressInfo;
    const host = config.host.includes(':') ? `[${config.host}]` : config.host;
    if (!url) url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
    if (config.ice.tcpPort !== undefined) {
      iceTcp = await IceTcpMux.listen(config.ice.address, config.ice.tcpPort);
      installIceTcpMux(iceTcp);
    }
    await sessions.start();
    started = true;
    if (config.insecure !== undefined) log.error({ why: config.insecure }, 'node_misconfigured');
    heartbeats?.start();
    log.info(
      {
        url,
        edgeUrl: config.edgeUrl ?? null,
        ice: config.ice,
        maxSessions: config.maxSessions,
        workers: config.workers,
      },
      'started',
    );
  };

  return {
    sessions,
    metrics,
    report,
    get url() {
      return url;
    },
    start() {
      starting ??= start();
      return starting;
    },
    shutdown() {
      // A signal during start-up: let the start finish (or fail) first, then drain and stop as
      // usual, so worker threads are never torn down half-spawned.
      stopping ??= (starting ?? Promise.resolve())
        .catch(() => {})
        .then(() =>
          shutdown({
            sessions,
            events,
            heartbeats,
            edge,
            server,
            metrics,
            log,
            drainTimeoutMs: config.drainTimeoutMs,
          }),
        )
        .finally(async () => {
          if (iceTcp) installIceTcpMux(undefined);
          await iceTcp?.close();
        });
      return stopping;
    },
  };
}

/** The node's scrape: its own registry, merged with every worker thread's (summed per series). */
async function scrape(metrics: Metrics, sessions: SessionHost): Promise<string> {
  const workers = await sessions.workerMetrics();
  if (workers.length === 0) return metrics.registry.metrics();
  const own = await metrics.registry.getMetricsAsJSON();
  return AggregatorRegistry.aggregate([own, ...workers]).metrics();
}
