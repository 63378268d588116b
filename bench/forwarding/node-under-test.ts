/**
 * The media node under test: a real `media-node/src/main.ts` process pinned to one core with
 * `taskset` (util-linux), reporting to the harness's fake edge. Its CPU and RSS are read from
 * /proc by PID, its event-loop lag and packet counters from its own /metrics.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { FakeEdge } from '../../test/support/fake-edge.ts';
import { cpuSeconds, rssBytes } from '../lib/proc.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface NodeUnderTest {
  pid: number;
  url: string;
  cpuSeconds(): number;
  rssBytes(): number;
  /** The metrics the benchmark reads; the lag figures cover the time since the last scrape. */
  scrape(): Promise<NodeScrape>;
  stop(): Promise<void>;
}

export interface NodeScrape {
  packetsOut: number;
  lagP99Ms: number;
  lagMaxMs: number;
  /** `media_forwarder_subscribers{path}` when the node exports it. */
  forwarderPaths: Record<string, number>;
  srtpBackend: string;
  /** `media_fast_send_mode` in use and the batch counters (0 on dgram sends or older nodes). */
  fastSend: string;
  sendBatches: number;
  sendDatagrams: number;
  sendErrors: number;
}

export async function startNode(opts: {
  core: number | undefined;
  edge: FakeEdge;
  secret: string;
  env: Record<string, string>;
  cpuProfileDir?: string | undefined;
}): Promise<NodeUnderTest> {
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
  if (pid === undefined) throw new Error('node did not start');
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdout?.resume();
  // PORT=0 and LOG_LEVEL=warn: the node's URL comes with its first heartbeat to the fake edge.
  const hb = await Promise.race([
    opts.edge.waitForHeartbeat(() => true, 15_000),
    exited.then(() => {
      throw new Error(`node exited at start: ${stderr}`);
    }),
  ]);
  const url = hb.url;
  return {
    pid,
    url,
    cpuSeconds: () => cpuSeconds(pid),
    rssBytes: () => rssBytes(pid),
    scrape: async () => parseScrape(await (await fetch(`${url}/metrics`)).text()),
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const done = await Promise.race([
        exited.then(() => true),
        new Promise<boolean>((r) => setTimeout(r, 5_000, false)),
      ]);
      if (!done) child.kill('SIGKILL');
      if (stderr.trim()) console.error(`[node stderr tail]\n${stderr.trim().slice(-800)}`);
    },
  };
}

function parseScrape(text: string): NodeScrape {
  const out: NodeScrape = {
    packetsOut: 0,
    lagP99Ms: Number.NaN,
    lagMaxMs: Number.NaN,
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
    if (name === 'media_rtp_packets_total' && labels.includes('direction="out"')) {
      out.packetsOut = value;
    } else if (name === 'nodejs_eventloop_lag_p99_seconds') out.lagP99Ms = value * 1000;
    else if (name === 'nodejs_eventloop_lag_max_seconds') out.lagMaxMs = value * 1000;
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
  return out;
}
