/**
 * The media node under test: a real `media-node/src/main.ts` process pinned to one core with
 * `taskset` (util-linux), optionally limited to a share of a core by a cgroup CPU quota
 * (bench/lib/cgroup.ts), reporting to the harness's fake edge. Its CPU and RSS are read from
 * /proc by PID, its event-loop lag, heap and packet counters from its own /metrics. It is killed
 * by PID (and its cgroup removed) however the benchmark ends.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FakeEdge } from '../../test/support/fake-edge.ts';
import { type CpuLimit, type CpuQuota, createCpuLimit } from '../lib/cgroup.ts';
import { atExit } from '../lib/children.ts';
import { cpuSeconds, rssBytes } from '../lib/proc.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface NodeUnderTest {
  pid: number;
  url: string;
  cpuSeconds(): number;
  rssBytes(): number;
  /** How the node ended, once it has (undefined while it runs). */
  exit(): NodeExit | undefined;
  /** The CPU quota's cgroup (`applied` false: none could be set up, see `reason`), if asked for. */
  cpuLimit: CpuLimit | undefined;
  /** The metrics the benchmark reads; the lag figures cover the time since the last scrape. */
  scrape(): Promise<NodeScrape>;
  stop(): Promise<void>;
}

export interface NodeExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface NodeScrape {
  packetsOut: number;
  /**
   * Event-loop lag p99 since the last scrape: the worst worker's
   * (`media_worker_event_loop_lag_p99_seconds{worker}`) when the node runs forwarding workers,
   * else the main thread's (`nodejs_eventloop_lag_p99_seconds`).
   */
  lagP99Ms: number;
  /** The main thread's p99, whatever the workers do. */
  mainLagP99Ms: number;
  /** Number of per-worker lag gauges seen (0 = no workers exported). */
  workers: number;
  /** Per worker (`worker` label): lag p99 ms, sessions, busy fraction of its core. */
  workerLagP99Ms: Record<string, number>;
  workerSessions: Record<string, number>;
  workerCpu: Record<string, number>;
  lagMaxMs: number;
  /** `nodejs_heap_size_used_bytes` (main thread's V8 heap, no forced GC). */
  heapUsedBytes: number;
  /** `nodejs_external_memory_bytes`: Buffers and native memory V8 knows about. */
  externalBytes: number;
  /** `media_forwarder_subscribers{path}` when the node exports it. */
  forwarderPaths: Record<string, number>;
  srtpBackend: string;
  /** `media_fast_send_mode` in use and the batch counters (0 on dgram sends or older nodes). */
  fastSend: string;
  sendBatches: number;
  sendDatagrams: number;
  sendErrors: number;
}

let started = 0;

export async function startNode(opts: {
  /** `taskset -c` CPU list (`0`, `0,1`); undefined: not pinned. */
  core: number | string | undefined;
  edge: FakeEdge;
  secret: string;
  env: Record<string, string>;
  cpuProfileDir?: string | undefined;
  /** Limit the node to this much CPU with a cgroup (bench/lib/cgroup.ts). */
  cpuQuota?: CpuQuota | undefined;
}): Promise<NodeUnderTest> {
  const cpuLimit = opts.cpuQuota
    ? createCpuLimit(`media-bench-${process.pid}-${++started}`, opts.cpuQuota)
    : undefined;
  const nodeArgs = [
    ...(opts.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${opts.cpuProfileDir}`] : []),
    'media-node/src/main.ts',
  ];
  const [cmd, args] =
    opts.core === undefined
      ? [process.execPath, nodeArgs]
      : ['taskset', ['-c', String(opts.core), process.execPath, ...nodeArgs]];
  const child: ChildProcess = spawn(cmd, args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      PORT: '0',
      NODE_ID: 'bench-node',
      EDGE_URL: opts.edge.url,
      NODE_SHARED_SECRET: opts.secret,
      LOG_LEVEL: 'warn',
      MAX_SESSIONS: '5000',
      CONNECT_TIMEOUT_MS: '30000',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) {
    cpuLimit?.remove();
    throw new Error('node did not start');
  }
  const unregister = atExit(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  // taskset execs the node: same PID, so the quota covers the node and every thread it starts.
  cpuLimit?.attach(pid);
  let stderr = '';
  let stdout = '';
  let stopping = false;
  let exit: NodeExit | undefined;
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  // The node logs JSON lines (pino, LOG_LEVEL=warn) to stdout: kept for a post-mortem.
  child.stdout?.on('data', (c: Buffer) => {
    stdout = (stdout + c.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      if (!stopping) {
        console.error(
          `[node exited unexpectedly: code ${code} signal ${signal}]\n` +
            `[node stderr tail]\n${stderr.trim().slice(-1500)}\n[node stdout tail]\n${stdout.trim().slice(-1500)}`,
        );
      }
      resolve();
    }),
  );
  // PORT=0 and LOG_LEVEL=warn: the node's URL comes with its first heartbeat to the fake edge.
  const stop = async () => {
    stopping = true;
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const done = await Promise.race([
      exited.then(() => true),
      new Promise<boolean>((r) => setTimeout(r, 5_000, false)),
    ]);
    if (!done) {
      console.error('[node did not stop within 5 s of SIGTERM: SIGKILL]');
      child.kill('SIGKILL');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    }
    unregister();
    cpuLimit?.remove();
    if (stderr.trim()) console.error(`[node stderr tail]\n${stderr.trim().slice(-800)}`);
  };
  let hb: Awaited<ReturnType<FakeEdge['waitForHeartbeat']>>;
  try {
    hb = await Promise.race([
      opts.edge.waitForHeartbeat(() => true, 15_000),
      exited.then(() => {
        throw new Error(`node exited at start: ${stderr}`);
      }),
    ]);
  } catch (error) {
    await stop();
    throw error;
  }
  const url = hb.url;
  return {
    pid,
    url,
    cpuLimit,
    exit: () => exit,
    cpuSeconds: () => cpuSeconds(pid),
    rssBytes: () => rssBytes(pid),
    scrape: async () => parseScrape(await (await fetch(`${url}/metrics`)).text()),
    stop,
  };
}

/** Reads the figures the benchmark uses from the node's Prometheus text; pure (unit-tested). */
export function parseScrape(text: string): NodeScrape {
  const out: NodeScrape = {
    packetsOut: 0,
    lagP99Ms: Number.NaN,
    mainLagP99Ms: Number.NaN,
    workers: 0,
    workerLagP99Ms: {},
    workerSessions: {},
    workerCpu: {},
    lagMaxMs: Number.NaN,
    heapUsedBytes: Number.NaN,
    externalBytes: Number.NaN,
    forwarderPaths: {},
    srtpBackend: 'unknown',
    fastSend: 'unknown',
    sendBatches: 0,
    sendDatagrams: 0,
    sendErrors: 0,
  };
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || !line) continue;
    const m = /^([a-zA-Z0-9_:]+)(\{[^}]*\})? ([^ ]+)/.exec(line);
    if (!m) continue;
    const [, name, labels = '', raw] = m;
    const value = Number(raw);
    const worker = /worker="([^"]+)"/.exec(labels)?.[1] ?? '?';
    if (name === 'media_rtp_packets_total' && labels.includes('direction="out"')) {
      out.packetsOut = value;
    } else if (name === 'nodejs_eventloop_lag_p99_seconds') out.mainLagP99Ms = value * 1000;
    else if (name === 'media_worker_event_loop_lag_p99_seconds') {
      out.workers++;
      out.workerLagP99Ms[worker] = value * 1000;
      out.lagP99Ms = Math.max(Number.isNaN(out.lagP99Ms) ? 0 : out.lagP99Ms, value * 1000);
    } else if (name === 'media_worker_sessions') out.workerSessions[worker] = value;
    else if (name === 'media_worker_cpu_ratio') out.workerCpu[worker] = value;
    else if (name === 'nodejs_eventloop_lag_max_seconds') out.lagMaxMs = value * 1000;
    else if (name === 'nodejs_heap_size_used_bytes') out.heapUsedBytes = value;
    else if (name === 'nodejs_external_memory_bytes') out.externalBytes = value;
    else if (name === 'media_forwarder_subscribers') {
      const path = /path="([^"]+)"/.exec(labels)?.[1];
      if (path) out.forwarderPaths[path] = value;
    } else if (name === 'media_srtp_backend' && value === 1) {
      out.srtpBackend = /backend="([^"]+)"/.exec(labels)?.[1] ?? 'unknown';
    } else if (name === 'media_fast_send_mode' && value === 1) {
      out.fastSend = /mode="([^"]+)"/.exec(labels)?.[1] ?? 'unknown';
    } else if (name === 'media_fast_send_batches_total') out.sendBatches = value;
    else if (name === 'media_fast_send_datagrams_total') out.sendDatagrams = value;
    else if (name === 'media_fast_send_errors_total') out.sendErrors += value;
  }
  if (out.workers === 0) out.lagP99Ms = out.mainLagP99Ms;
  return out;
}
