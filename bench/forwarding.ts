/**
 * Media forwarding capacity of one media node (issue 6 item 3, issue 7's yardstick).
 *
 * A real media node process, pinned to core 0, serves one room: `publishers` werift peers each
 * send 50 Opus-sized (~100 B) + 50 VP8-sized (~1000 B) packets per second, and a growing number
 * of receive-only werift subscribers get every stream. The harness (fake edge, all peers) is
 * pinned to core 1 and its CPU is reported beside the node's. Per step: forwarded packets/s
 * (node counter), packets per CPU-second of the node, loss (receivers decrypt every packet;
 * expected = sent x receivers), forwarding delay (send timestamp in the payload), the node's
 * event-loop lag (its own /metrics), RSS. Each forwarding path runs on a fresh node in the same
 * run, stock first as the baseline.
 *
 *   node bench/forwarding.ts [--paths stock,fast,fast-batch] [--publishers 4] [--steps 10,25,50]
 *                            [--measure-ms 4000] [--cpu-prof] [--no-pin]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { topOfProfile } from './forwarding/profile-top.ts';
import { type ModeOptions, runMode, type StepRow } from './forwarding/run-mode.ts';
import { printTable, writeResults } from './lib/results.ts';

/**
 * Forwarding paths the node offers (`FORWARDER` env) plus variants of the fast path: its SRTP
 * backend (`fast-js`) and its UDP send (`FAST_SEND`, media-node/src/fast/fast-send.ts). `fast`
 * keeps the per-packet dgram send it always measured; `fast-batch` is the node's default (one
 * native sendmmsg call per incoming packet for all subscribers).
 */
const PATHS: Record<string, Record<string, string>> = {
  stock: { FORWARDER: 'stock' },
  fast: { FORWARDER: 'fast', FAST_SEND: 'dgram' },
  'fast-batch': { FORWARDER: 'fast', FAST_SEND: 'batch' },
  'fast-sendmsg': { FORWARDER: 'fast', FAST_SEND: 'sendmsg' },
  'fast-batch-tick': { FORWARDER: 'fast', FAST_SEND: 'batch', FAST_SEND_FLUSH: 'tick' },
  'fast-js': { FORWARDER: 'fast', MEDIA_SRTP_BACKEND: 'js' },
};

export interface ForwardingOptions {
  paths: string[];
  publishers: number;
  steps: number[];
  warmupMs: number;
  measureMs: number;
  readyTimeoutMs: number;
  joinConcurrency: number;
  /** Pin node and harness to different cores (needs `taskset` and >= 2 cores). */
  pin: boolean;
  /** Write a `--cpu-prof` profile of the node for the last path and print its top functions. */
  cpuProf: boolean;
  write: boolean;
  log(line: string): void;
}

export const DEFAULTS: ForwardingOptions = {
  paths: ['stock', 'fast', 'fast-batch'],
  publishers: 4,
  steps: [10, 50, 100, 150, 200, 250],
  warmupMs: 1_500,
  measureMs: 3_000,
  readyTimeoutMs: 15_000,
  joinConcurrency: 6,
  pin: true,
  cpuProf: false,
  write: true,
  log: (line) => console.log(line),
};

/** Published anchors printed beside our figures (not measured here). */
const ANCHORS = {
  livekit: '~38-75k egress pkt/s per core (LiveKit published figures)',
  mediasoup: '~500 consumers per worker (mediasoup documentation)',
};

export async function run(partial: Partial<ForwardingOptions> = {}): Promise<StepRow[]> {
  const o: ForwardingOptions = { ...DEFAULTS, ...partial };
  const canPin = o.pin && os.cpus().length >= 2 && hasTaskset();
  if (canPin)
    spawnSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
  const loadBefore = os.loadavg();
  const profileDir = fileURLToPath(new URL('./results/profiles/', import.meta.url));
  const rows: StepRow[] = [];
  const summary: Record<string, unknown> = {};
  const profiles: Record<string, unknown> = {};
  for (const [i, path] of o.paths.entries()) {
    const env = PATHS[path];
    if (!env) throw new Error(`unknown path ${path} (known: ${Object.keys(PATHS).join(', ')})`);
    const profile = o.cpuProf && i === o.paths.length - 1;
    if (profile) mkdirSync(profileDir, { recursive: true });
    const mode: ModeOptions = {
      path,
      env,
      publishers: o.publishers,
      steps: o.steps,
      warmupMs: o.warmupMs,
      measureMs: o.measureMs,
      readyTimeoutMs: o.readyTimeoutMs,
      joinConcurrency: o.joinConcurrency,
      nodeCore: canPin ? 0 : undefined,
      cpuProfileDir: profile ? profileDir : undefined,
      log: o.log,
    };
    const started = Date.now();
    const result = await runMode(mode);
    rows.push(...result.rows);
    summary[path] = { ...sustained(result.rows), idleRssMbPerSession: result.idleRssMb };
    if (profile) profiles[path] = topOfProfile(profileDir, started, 8);
    o.log(`${path}: done in ${Math.round((Date.now() - started) / 1000)} s`);
  }
  const base = summary.stock as { pktPerCpuS?: number } | undefined;
  for (const [path, s] of Object.entries(summary)) {
    const pk = (s as { pktPerCpuS?: number }).pktPerCpuS;
    if (base?.pktPerCpuS && pk) (s as Record<string, unknown>).vsStock = pk / base.pktPerCpuS;
    void path;
  }
  printTable(
    `Forwarding capacity (${o.publishers} publishers x (50 audio + 50 video pkt/s), node ${
      canPin ? 'pinned to core 0, harness to core 1' : 'NOT pinned'
    })`,
    rows.map(display),
  );
  printTable(
    'Highest step with < 1 % loss, per path',
    Object.entries(summary).map(([path, s]) => ({ path, ...(s as Record<string, number>) })),
  );
  for (const [path, top] of Object.entries(profiles)) {
    printTable(`CPU profile of the node (${path}), top self time`, top as never);
  }
  if (o.write) {
    const file = writeResults('forwarding', {
      parameters: { ...o, log: undefined, pinned: canPin },
      load: { before: loadBefore, after: os.loadavg() },
      anchors: ANCHORS,
      summary,
      profiles,
      rows,
    });
    o.log(`results: ${file}`);
  }
  return rows;
}

/** The best row with < 1 % loss and every receiver ready, by packets per CPU-second. */
function sustained(rows: StepRow[]): Record<string, number> {
  const ok = rows.filter((r) => r.lossPct < 1 && r.notReady === 0);
  const best = ok[ok.length - 1];
  if (!best) return { subscribers: 0 };
  return {
    subscribers: best.subscribers,
    forwardedPps: Math.round(best.forwardedPps),
    nodeCpu: best.nodeCpu,
    pktPerCpuS: Math.round(best.pktPerCpuS),
    bestPktPerCpuS: Math.round(Math.max(...ok.map((r) => r.pktPerCpuS))),
  };
}

function display(r: StepRow): Record<string, string | number> {
  return {
    path: r.path,
    subs: r.subscribers,
    'fwd pkt/s': Math.round(r.forwardedPps),
    'node cpu': r.nodeCpu,
    'pkt/cpu-s': Math.round(r.pktPerCpuS),
    'loss %': r.lossPct,
    'delay p50 ms': r.delayP50Ms,
    'delay p99 ms': r.delayP99Ms,
    'lag p99 ms': r.lagP99Ms,
    'lag max ms': r.lagMaxMs,
    'rss MB': r.nodeRssMb,
    'harness cpu': r.harnessCpu,
    'send batch': r.sendBatchSize,
    'send err': r.sendErrors,
    'not ready': r.notReady,
    refused: r.refused,
  };
}

function hasTaskset(): boolean {
  return spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      paths: { type: 'string' },
      publishers: { type: 'string' },
      steps: { type: 'string' },
      'measure-ms': { type: 'string' },
      'warmup-ms': { type: 'string' },
      'cpu-prof': { type: 'boolean' },
      'no-pin': { type: 'boolean' },
    },
  });
  const list = (s: string | undefined) => s?.split(',').map((v) => v.trim());
  await run({
    ...(values.paths ? { paths: list(values.paths) as string[] } : {}),
    ...(values.publishers ? { publishers: Number(values.publishers) } : {}),
    ...(values.steps ? { steps: (list(values.steps) as string[]).map(Number) } : {}),
    ...(values['measure-ms'] ? { measureMs: Number(values['measure-ms']) } : {}),
    ...(values['warmup-ms'] ? { warmupMs: Number(values['warmup-ms']) } : {}),
    cpuProf: values['cpu-prof'] === true,
    pin: values['no-pin'] !== true,
  });
  process.exit(0);
}
