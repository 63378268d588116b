/**
 * The whole platform on one machine: the edge in the Workers runtime and media nodes that
 * register with it. Used by `npm start` (scripts/start.ts) and by the cross-service tests
 * (test/support/stack.ts), so both run exactly the same thing.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { signToken } from '../../edge/src/auth/token.ts';
import { API_BASE } from '../../shared/api.ts';
import { buildDemo } from '../build-demo.ts';
import type { Child, ExitInfo } from './child.ts';
import { readDevVars } from './dev-vars.ts';
import { envOverrides } from './edge-settings.ts';
import { type LocalTurn, startLocalTurn } from './local-turn.ts';
import { nodeIdFor, startMediaNode } from './media-node.ts';
import { assertPortsFree } from './ports.ts';
import { setWatchdogLog, watchdogPid } from './tether.ts';
import { waitFor, waitHttpOk } from './wait.ts';
import {
  buildEdgeBundle,
  edgeSettings,
  readWranglerConfig,
  startWorkerdEdge,
  waitListening,
} from './workerd-edge.ts';
import { startWranglerDev } from './wrangler-dev-edge.ts';

export const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface StackOptions {
  host?: string;
  edgePort?: number;
  nodePorts?: number[];
  /** `workerd`: the bundle under `workerd serve` (fast); `wrangler-dev`: with reload. */
  edgeMode?: 'workerd' | 'wrangler-dev';
  /** Where the bundle, the capnp config and the Durable Objects' storage go. */
  workDir?: string;
  /** `inherit`: prefixed lines on stdout; `files`: one log file per process in `workDir`. */
  logs?: 'inherit' | 'files';
  /** Extra environment for every media node. */
  nodeEnv?: Record<string, string>;
  /** Extra environment per media node, by its index in `nodePorts` (e.g. REGION, LATITUDE). */
  nodeEnvs?: Array<Record<string, string>>;
  /** Extra or overriding edge vars (workerd mode), e.g. `HEARTBEAT_TIMEOUT_MS`. */
  edgeVars?: Record<string, string>;
  /** A bundle already built by {@link buildEdgeBundle} (tests build it once per run). */
  prebuiltDist?: string;
  /** How long start-up may take, in ms. */
  timeoutMs?: number;
  /** Start a loopback coturn (local-turn.ts) unless the settings name a TURN_URLS (npm start). */
  localTurn?: boolean;
  /** Called with every child as it is spawned (so a caller can kill them during start-up). */
  onChild?: (child: Child) => void;
}

export interface StackNode {
  id: string;
  port: number;
  url: string;
  child: Child;
}

export interface Stack {
  edgeUrl: string;
  nodes: StackNode[];
  workDir: string;
  /** The edge's secrets as it runs with them (`.dev.vars`, or the environment). */
  secrets: { jwt: string; node: string };
  /** Milliseconds each start-up phase took. */
  timings: Record<string, number>;
  /** TURN as the edge hands it out, when `localTurn` was asked for. */
  turn: LocalTurn | undefined;
  /** A client token signed with the local secret. */
  token(options: {
    device: string;
    room?: string;
    admin?: boolean;
    ttlSeconds?: number;
  }): Promise<string>;
  /** Stops nodes (they drain) then the edge; SIGKILL past the deadline. Idempotent. */
  stop(options?: {
    nodeTimeoutMs?: number;
  }): Promise<Record<string, ExitInfo & { killed: boolean }>>;
  /** Kills every child at once. */
  kill(): void;
  /** Every process of the stack by name, the watchdog (watchdog.ts) included. */
  processes(): Array<{ name: string; pid: number }>;
}

const DEFAULT_NODE_STOP_MS = 35_000;

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const host = options.host ?? '127.0.0.1';
  const edgePort = options.edgePort ?? 8787;
  const nodePorts = options.nodePorts ?? [30006, 30007];
  const workDir = options.workDir ?? join(ROOT, '.wrangler/local-stack');
  const timeoutMs = options.timeoutMs ?? 60_000;
  const logFor = (name: string) =>
    options.logs === 'files' ? { file: join(workDir, `${name}.log`) } : ('inherit' as const);
  await assertPortsFree(host, [
    { name: 'edge', port: edgePort },
    ...nodePorts.map((port) => ({ name: nodeIdFor(port), port })),
  ]);
  // Loading wrangler takes most of a second: read its config while the bundles build.
  const config = readWranglerConfig(ROOT);
  // Handled where it is awaited; this only keeps an early failure from going unhandled.
  config.catch(() => {});
  await mkdir(workDir, { recursive: true });
  setWatchdogLog(join(workDir, 'watchdog.log'));
  const secrets = { jwt: '', node: '' };

  const timings: Record<string, number> = {};
  const t0 = performance.now();
  const mark = (phase: string, since: number) => {
    timings[phase] = Math.round(performance.now() - since);
  };
  const children: Child[] = [];
  const edgeUrl = `http://${host}:${edgePort}`;
  const nodes: StackNode[] = [];
  let stopping: ReturnType<Stack['stop']> | undefined;
  let turn: LocalTurn | undefined;
  let turnStarting: Promise<LocalTurn> | undefined;

  const stop: Stack['stop'] = (stopOptions = {}) => {
    stopping ??= (async () => {
      const results: Record<string, ExitInfo & { killed: boolean }> = {};
      const nodeTimeoutMs = stopOptions.nodeTimeoutMs ?? DEFAULT_NODE_STOP_MS;
      await Promise.all(
        nodes.map(async (n) => {
          results[n.id] = await n.child.stop('SIGTERM', nodeTimeoutMs);
        }),
      );
      for (const child of children) {
        if (nodes.some((n) => n.child === child)) continue;
        results[child.name] = await child.stop('SIGTERM', 5_000);
      }
      process.removeListener('exit', kill);
      return results;
    })();
    return stopping;
  };
  const kill = () => {
    for (const child of children) child.signal('SIGKILL');
  };
  // Children run in their own process groups, so nothing else would end them if this process
  // exited without stopping them (an uncaught error, a crashed test worker). Deaths that run no
  // handler (kill -9) are the watchdog's (watchdog.ts).
  process.once('exit', kill);

  try {
    let started = performance.now();
    if (!options.prebuiltDist) await buildDemo();
    mark('demo_bundle_ms', started);
    // coturn starts while the bundle builds; the edge needs its url and secret as vars.
    turnStarting = options.localTurn
      ? config
          .then((c) =>
            startLocalTurn({
              settings: { ...edgeSettings(ROOT, c), ...options.edgeVars },
              host,
              workDir,
              log: logFor('coturn'),
            }),
          )
          .then((t) => {
            if (t.child) {
              children.push(t.child);
              options.onChild?.(t.child);
            }
            return t;
          })
      : undefined;
    turnStarting?.catch(() => {});
    const turnVars = async () => {
      turn = await turnStarting;
      return turn?.vars ?? {};
    };
    let edge: Child;
    started = performance.now();
    if (options.edgeMode === 'wrangler-dev') {
      const devVars = readDevVars(join(ROOT, '.dev.vars'));
      edge = startWranglerDev({
        root: ROOT,
        host,
        port: edgePort,
        log: logFor('edge'),
        vars: {
          ...envOverrides({ vars: (await config).vars, devVars, env: process.env }),
          ...(await turnVars()),
        },
      });
    } else {
      const distDir = options.prebuiltDist ?? join(workDir, 'dist');
      if (!options.prebuiltDist) {
        await buildEdgeBundle({ root: ROOT, outDir: distDir, log: logFor('build') });
      }
      mark('edge_bundle_ms', started);
      started = performance.now();
      edge = await startWorkerdEdge({
        root: ROOT,
        host,
        port: edgePort,
        distDir,
        workDir,
        log: logFor('edge'),
        config,
        vars: { ...options.edgeVars, ...(await turnVars()) },
      });
    }
    children.push(edge);
    options.onChild?.(edge);
    // The secrets the edge runs with sign the tokens and go to the nodes.
    const settings = { ...edgeSettings(ROOT, await config), ...options.edgeVars };
    secrets.jwt = settings.JWT_SECRET ?? '';
    secrets.node = settings.NODE_SHARED_SECRET ?? '';
    if (!secrets.jwt || !secrets.node) {
      throw new Error('JWT_SECRET or NODE_SHARED_SECRET is missing (.dev.vars or environment)');
    }
    const edgeDied = () => (edge.running ? undefined : 'the edge exited');
    // Only this workerd's own report proves it listens: a health check alone could be answered
    // by another process on the port, bound since the port check.
    if (edge.control) await waitListening(edge, timeoutMs);
    await waitHttpOk(`${edgeUrl}/healthz`, { timeoutMs, abort: edgeDied });
    mark('edge_ready_ms', started);

    started = performance.now();
    for (const [i, port] of nodePorts.entries()) {
      const env = { ...options.nodeEnv, ...options.nodeEnvs?.[i] };
      const child = startMediaNode({
        root: ROOT,
        host,
        port,
        edgeUrl,
        sharedSecret: secrets.node,
        log: logFor(nodeIdFor(port)),
        env,
      });
      children.push(child);
      options.onChild?.(child);
      nodes.push({ id: nodeIdFor(port), port, url: `http://${host}:${port}`, child });
    }
    const nodeDied = () => nodes.find((n) => !n.child.running)?.id;
    await Promise.all(
      nodes.map((n) =>
        waitHttpOk(`${n.url}/healthz`, {
          timeoutMs,
          abort: () => (nodeDied() ? `${nodeDied()} exited` : undefined),
        }),
      ),
    );
    mark('nodes_up_ms', started);
    started = performance.now();
    const admin = await signToken(secrets.jwt, {
      device: 'local-stack',
      admin: true,
      ttlSeconds: 600,
    });
    await waitNodesRegistered(edgeUrl, admin, nodes.length, timeoutMs, () =>
      nodeDied() ? `${nodeDied()} exited` : edgeDied(),
    );
    mark('nodes_registered_ms', started);
    mark('total_ms', t0);
  } catch (error) {
    // A coturn still starting joins `children` when it is up: wait for it, then kill it too.
    await turnStarting?.catch(() => {});
    kill();
    await Promise.all(children.map((c) => c.exited));
    process.removeListener('exit', kill);
    throw error;
  }

  return {
    edgeUrl,
    nodes,
    workDir,
    secrets,
    timings,
    turn,
    token: ({ device, room, admin, ttlSeconds }) =>
      signToken(secrets.jwt, {
        device,
        ...(room === undefined ? {} : { room }),
        ...(admin === undefined ? {} : { admin }),
        ttlSeconds: ttlSeconds ?? 24 * 3600,
      }),
    stop,
    kill,
    processes: () => {
      const watchdog = watchdogPid();
      return [
        ...(watchdog === undefined ? [] : [{ name: 'watchdog', pid: watchdog }]),
        ...children.map((c) => ({ name: c.name, pid: c.pid })),
      ];
    },
  };
}

/** Waits until the edge's registry lists `count` ready media nodes (`GET /api/media/nodes`). */
export async function waitNodesRegistered(
  edgeUrl: string,
  adminToken: string,
  count: number,
  timeoutMs: number,
  abort?: () => string | undefined,
): Promise<void> {
  await waitFor(
    `${count} media nodes registered with the edge`,
    async () => {
      const res = await fetch(`${edgeUrl}${API_BASE}/nodes`, {
        headers: { authorization: `Bearer ${adminToken}` },
        signal: AbortSignal.timeout(3_000),
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`nodes: HTTP ${res.status} ${text.slice(0, 200)}`);
      const ready = readyNodes(JSON.parse(text));
      if (ready >= count) return true;
      throw new Error(`${ready} ready`);
    },
    { timeoutMs, intervalMs: 200, ...(abort ? { abort } : {}) },
  );
}

/** How many nodes of a `GET /api/media/nodes` reply are `ready`. */
export function readyNodes(reply: unknown): number {
  const nodes = (reply as { nodes?: Array<{ state?: unknown }> } | null)?.nodes;
  return Array.isArray(nodes) ? nodes.filter((n) => n.state === 'ready').length : 0;
}
