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
 * Overload curve (issue 7, "no collapse"): `--node-cpu-quota 0.35` limits the node to 0.35 of a
 * core with a cgroup (bench/lib/cgroup.ts) so that it saturates below what the harness can
 * drive; `--past-saturation 1.5,2` then steps on to 1.5x and 2x the sustainable subscriber count.
 * Refused joins (503 capacity_exceeded) are counted by kind, never as loss; the sessions
 * admitted before saturation are followed separately (run-mode.ts).
 *
 * Several rooms (`--rooms 2`): each room has its own `--publishers`, subscribers are spread
 * round-robin over the rooms and each receives only its room's streams. The node pins a room to
 * one worker thread, so this is what lets `fast-2w` (2 workers on cores 0,1 with twice the quota)
 * be compared with `fast-1w` (1 worker on core 0): more cores, more subscribers.
 *
 * Peers (issue 18): `janus` runs Debian's Janus 1.1 (videoroom plugin, when /usr/bin/janus is
 * installed; else "janus not installed, skipped") on the same workload, pinning and quota, in a
 * network namespace of its own (forwarding/janus/); `floor` runs a native forwarder doing only
 * what forwarding must (one AES-GCM decrypt per packet, per subscriber a header rewrite, an
 * AES-GCM encrypt and a datagram of one sendmmsg; forwarding/floor/). With either, a table gives
 * each media node path's delivered packets per CPU-second at its highest lossless step against
 * theirs (project/Janus, project/floor). `--repeat 2` runs the paths twice, the second time in
 * reverse order, for same-run ratios under a changing machine load; `--plots` writes the figures
 * of pass 1 (pkt per CPU-second and loss vs subscribers) to docs/forwarding-*.svg.
 *
 *   node bench/forwarding.ts [--paths stock,fast,fast-batch] [--publishers 4] [--rooms 1]
 *                            [--steps 10,25,50]
 *                            [--measure-ms 4000] [--warmup-ms 1500] [--ready-timeout-ms 15000]
 *                            [--node-cpu-quota 0.35] [--node-cpu-period-ms 10]
 *                            [--past-saturation 1.5,2] [--max-subscribers 400]
 *                            [--overload-lag-ms 400] [--overload-utilization-pct 85]
 *                            [--cpu-prof] [--no-pin] [--repeat 2] [--plots]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { runFloorPath } from './forwarding/floor/floor-path.ts';
import { runJanusPath } from './forwarding/janus/janus-path.ts';
import { deliveredPerCpuS, PEERS, peerCharts, peerRatios } from './forwarding/peers.ts';
import { topOfProfile } from './forwarding/profile-top.ts';
import { type ModeOptions, type ModeResult, runMode, type StepRow } from './forwarding/run-mode.ts';
import { type CpuQuota, cfsQuotaUs } from './lib/cgroup.ts';
import { printTable, sourceFingerprint, writeResults } from './lib/results.ts';

/** A forwarding path: the node's environment, and whether the node gets one core or all. */
interface PathSpec {
  env: Record<string, string>;
  /**
   * The node's cores: `taskset -c` list (`0`, `0,1`), or `all`: not pinned. The harness stays on
   * core 1 in every case. Default `0`.
   */
  cores?: string;
  /** Multiplies `--node-cpu-quota` for this path (the quota is total across its cores). */
  quotaScale?: number;
  /** Stop after two collapsed steps (> 25 % loss): stock collapses, and past that is noise. */
  stopAtCollapse?: boolean;
}

/**
 * Forwarding paths the node offers (`FORWARDER` env) plus variants of the fast path: its SRTP
 * backend (`fast-js`), its UDP send (`FAST_SEND`, media-node/src/fast/fast-send.ts) and worker
 * threads (`WORKERS`). `fast` keeps the per-packet dgram send it always measured; `fast-batch`
 * is the node's default send (one native sendmmsg call per incoming packet for all subscribers).
 *
 * Every path but `fast-workers` sets `WORKERS=0` (sessions on the main thread, as the node did
 * before it had workers): the node's default is now one worker per core, which on a node pinned
 * to one core would silently add a thread hop to every row. `fast-workers` is the default fast
 * path with 2 forwarding worker threads and the node on every core (a node without workers
 * ignores `WORKERS` and behaves like an unpinned `fast-batch`).
 */
const MAIN = { WORKERS: '0' };
const PATHS: Record<string, PathSpec> = {
  stock: { env: { FORWARDER: 'stock', ...MAIN }, stopAtCollapse: true },
  fast: { env: { FORWARDER: 'fast', FAST_SEND: 'dgram', ...MAIN } },
  'fast-batch': { env: { FORWARDER: 'fast', FAST_SEND: 'batch', ...MAIN } },
  'fast-sendmsg': { env: { FORWARDER: 'fast', FAST_SEND: 'sendmsg', ...MAIN } },
  'fast-batch-tick': {
    env: { FORWARDER: 'fast', FAST_SEND: 'batch', FAST_SEND_FLUSH: 'tick', ...MAIN },
  },
  'fast-js': { env: { FORWARDER: 'fast', MEDIA_SRTP_BACKEND: 'js', ...MAIN } },
  'fast-workers': { env: { FORWARDER: 'fast', WORKERS: '2' }, cores: 'all' },
  // Scaling pair (run with --rooms 2 and a quota): one worker on one core against two workers on
  // two cores with twice the quota, so each worker gets the same CPU budget.
  'fast-1w': { env: { FORWARDER: 'fast', WORKERS: '1' }, cores: '0' },
  'fast-2w': { env: { FORWARDER: 'fast', WORKERS: '2' }, cores: '0,1', quotaScale: 2 },
  // The same pair with per-packet dgram sends instead of the native batched send.
  'fast-1w-dgram': { env: { FORWARDER: 'fast', FAST_SEND: 'dgram', WORKERS: '1' }, cores: '0' },
  // Peers on the same workload (bench/forwarding/janus/, bench/forwarding/floor/): Janus's
  // videoroom, and the native floor of what forwarding must do; env is not theirs.
  janus: { env: {}, stopAtCollapse: true },
  floor: { env: {} },
  'fast-2w-dgram': {
    env: { FORWARDER: 'fast', FAST_SEND: 'dgram', WORKERS: '2' },
    cores: '0,1',
    quotaScale: 2,
  },
};

/** The node's `taskset -c` list for a path, or undefined when it is not pinned. */
function nodeCores(spec: PathSpec, canPin: boolean): string | undefined {
  const cores = spec.cores ?? '0';
  return canPin && cores !== 'all' ? cores : undefined;
}

/** The run's options; the per-path ones are passed on to `runMode` as they are. */
export interface ForwardingOptions
  extends Pick<
    ModeOptions,
    | 'publishers'
    | 'rooms'
    | 'steps'
    | 'warmupMs'
    | 'measureMs'
    | 'readyTimeoutMs'
    | 'joinConcurrency'
    | 'pastSaturation'
    | 'maxSubscribers'
    | 'log'
  > {
  paths: string[];
  /** Pin node and harness to different cores (needs `taskset` and >= 2 cores). */
  pin: boolean;
  /** Write a `--cpu-prof` profile of the node for the last path and print its top functions. */
  cpuProf: boolean;
  /** Limit the node to this many cores with a cgroup CFS quota (undefined: no limit). */
  nodeCpuQuota: number | undefined;
  /** The quota's CFS period (see bench/lib/cgroup.ts for why it is short). */
  nodeCpuPeriodMs: number;
  /** The node's `OVERLOAD_LAG_MS` and `OVERLOAD_UTILIZATION_PCT` (undefined: its defaults). */
  overloadLagMs: number | undefined;
  overloadUtilizationPct: number | undefined;
  write: boolean;
  /**
   * Passes over the paths, alternating their order (pass 2 reversed, ...), so that paths
   * compared in the same run share the machine's load; ratios are reported per pass.
   */
  repeat: number;
  /** Write the peer comparison figures (SVG) into this directory (undefined: none). */
  plotDir: string | undefined;
}

export const DEFAULTS: ForwardingOptions = {
  paths: ['stock', 'fast', 'fast-batch'],
  publishers: 4,
  rooms: 1,
  steps: [10, 50, 100, 150, 200, 250],
  warmupMs: 1_500,
  measureMs: 3_000,
  readyTimeoutMs: 15_000,
  joinConcurrency: 6,
  pin: true,
  cpuProf: false,
  nodeCpuQuota: undefined,
  nodeCpuPeriodMs: 10,
  pastSaturation: [],
  maxSubscribers: 400,
  overloadLagMs: undefined,
  overloadUtilizationPct: undefined,
  write: true,
  repeat: 1,
  plotDir: undefined,
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
  const cpuQuota =
    o.nodeCpuQuota === undefined
      ? undefined
      : { cores: o.nodeCpuQuota, periodUs: Math.round(o.nodeCpuPeriodMs * 1000) };
  if (!Number.isInteger(o.rooms) || o.rooms < 1) throw new Error('--rooms must be an integer >= 1');
  if (!Number.isInteger(o.repeat) || o.repeat < 1)
    throw new Error('--repeat must be an integer >= 1');
  const quotaFor = (spec: PathSpec): CpuQuota | undefined =>
    cpuQuota && { ...cpuQuota, cores: cpuQuota.cores * (spec.quotaScale ?? 1) };
  // A bad value fails here, before any process starts.
  for (const path of o.paths) {
    const spec = PATHS[path];
    const q = spec && quotaFor(spec);
    if (q) cfsQuotaUs(q);
  }
  const loadBefore = os.loadavg();
  o.log(machineHeader());
  const nodeSource = sourceFingerprint('media-node/src');
  const profileDir = fileURLToPath(new URL('./results/profiles/', import.meta.url));
  const rows: StepRow[] = [];
  const summary: Record<string, Record<string, unknown>> = {};
  const profiles: Record<string, unknown> = {};
  const quotas: Record<string, ModeResult['cpuQuota']> = {};
  const order = (pass: number) => (pass % 2 === 0 ? o.paths : [...o.paths].reverse());
  const passes: StepRow[][] = [];
  for (let pass = 0; pass < o.repeat; pass++) {
    const passRows: StepRow[] = [];
    passes.push(passRows);
    for (const [i, path] of order(pass).entries()) {
      const key = pass === 0 ? path : `${path}#${pass + 1}`;
      const spec = PATHS[path];
      if (!spec) throw new Error(`unknown path ${path} (known: ${Object.keys(PATHS).join(', ')})`);
      const profile = o.cpuProf && pass === o.repeat - 1 && i === o.paths.length - 1;
      if (profile) mkdirSync(profileDir, { recursive: true });
      const mode: ModeOptions = {
        path,
        env: {
          ...spec.env,
          ...(o.overloadLagMs === undefined ? {} : { OVERLOAD_LAG_MS: String(o.overloadLagMs) }),
          ...(o.overloadUtilizationPct === undefined
            ? {}
            : { OVERLOAD_UTILIZATION_PCT: String(o.overloadUtilizationPct) }),
        },
        publishers: o.publishers,
        rooms: o.rooms,
        steps: o.steps,
        warmupMs: o.warmupMs,
        measureMs: o.measureMs,
        readyTimeoutMs: o.readyTimeoutMs,
        joinConcurrency: o.joinConcurrency,
        nodeCore: nodeCores(spec, canPin),
        cpuQuota: quotaFor(spec),
        cpuProfileDir: profile ? profileDir : undefined,
        stopAtCollapse: spec.stopAtCollapse === true,
        pastSaturation: o.pastSaturation,
        maxSubscribers: o.maxSubscribers,
        log: o.log,
      };
      const started = Date.now();
      const result =
        path === 'janus'
          ? await runJanusPath(mode)
          : path === 'floor'
            ? await runFloorPath(mode)
            : await runMode(mode);
      if (!result) continue;
      passRows.push(...result.rows);
      rows.push(...result.rows.map((r) => (pass === 0 ? r : { ...r, path: key })));
      quotas[key] = result.cpuQuota;
      summary[key] = {
        ...sustained(result.rows),
        sustainableUnbroken: result.sustainable.admitted,
        sustainableStep: result.sustainable.step,
        ...pastSaturation(result.rows, result.sustainable.admitted),
        refusals: result.refusals,
        ...(result.nodeDied ? { nodeDied: result.nodeDied } : {}),
        idleRssMbPerSession: result.idleRssMb,
      };
      if (profile) profiles[path] = topOfProfile(profileDir, started, 8);
      o.log(`${key}: done in ${Math.round((Date.now() - started) / 1000)} s`);
    }
  }
  const base = summary.stock?.pktPerCpuS;
  for (const s of Object.values(summary)) {
    if (typeof base === 'number' && typeof s.pktPerCpuS === 'number') {
      s.vsStock = s.pktPerCpuS / base;
    }
  }
  const quotaNote = describeQuota(cpuQuota, Object.values(quotas));
  printTable(
    `Forwarding capacity (${o.rooms > 1 ? `${o.rooms} rooms x ` : ''}${o.publishers} publishers x (50 audio + 50 video pkt/s), node ${
      canPin ? 'pinned to core 0, harness to core 1' : 'NOT pinned'
    }${pathNotes(o.paths, canPin)}, ${quotaNote}${
      o.overloadLagMs === undefined ? '' : `, OVERLOAD_LAG_MS=${o.overloadLagMs}`
    }${
      o.overloadUtilizationPct === undefined
        ? ''
        : `, OVERLOAD_UTILIZATION_PCT=${o.overloadUtilizationPct}`
    }; node source ${nodeSource.sha256})`,
    rows.map(display),
  );
  printTable(
    'Highest step with < 1 % loss, per path',
    Object.entries(summary).map(([path, s]) => ({
      path,
      offered: s.subscribers as number,
      admitted: (s.admitted as number) ?? Number.NaN,
      forwardedPps: (s.forwardedPps as number) ?? Number.NaN,
      nodeCpu: (s.nodeCpu as number) ?? Number.NaN,
      pktPerCpuS: (s.pktPerCpuS as number) ?? Number.NaN,
      vsStock: (s.vsStock as number) ?? Number.NaN,
      'sustainable (unbroken)': s.sustainableUnbroken as number,
      'node died at': (s.nodeDied as { step: number } | undefined)?.step ?? '-',
    })),
  );
  const refusalRows = Object.entries(summary).flatMap(([path, s]) =>
    Object.entries(s.refusals as Record<string, number>).map(([kind, count]) => ({
      path,
      refusal: kind,
      count,
    })),
  );
  if (refusalRows.length > 0) printTable('Refused joins, by reply', refusalRows);
  // Steps whose publishers sent less than half their nominal 100 pkt/s each do not count.
  const minSentPps = (o.publishers * o.rooms * 100) / 2;
  const ratios = passes.map((p) => peerRatios(p, minSentPps));
  const hasPeers = o.paths.some((p) => (PEERS as readonly string[]).includes(p));
  if (hasPeers) {
    printTable(
      `Same run: delivered packets per CPU-second of the server at the highest step with < 1 % loss and publishers at >= ${minSentPps} pkt/s (${machineHeader(loadBefore)})`,
      ratios.flatMap((pass, i) =>
        pass.map((r) => ({
          pass: i + 1,
          path: r.path,
          step: r.step,
          'pkt/cpu-s': Math.round(r.deliveredPerCpuS),
          'janus step': r.janusStep,
          'janus pkt/cpu-s': Math.round(r.janusPerCpuS),
          'floor step': r.floorStep,
          'floor pkt/cpu-s': Math.round(r.floorPerCpuS),
          'project/janus': r.vsJanus,
          'project/floor': r.vsFloor,
          'common step': r.commonJanusStep,
          'project/janus there': r.vsJanusAtCommonStep,
        })),
      ),
    );
  }
  if (o.plotDir && hasPeers) {
    mkdirSync(o.plotDir, { recursive: true });
    const note = `${machineHeader(loadBefore)}; quota ${cpuQuota ? `${cpuQuota.cores} core` : 'none'}; pass 1`;
    for (const [name, svg] of Object.entries(peerCharts(passes[0] ?? [], note))) {
      writeFileSync(join(o.plotDir, name), svg);
      o.log(`figure: ${join(o.plotDir, name)}`);
    }
  }
  for (const [path, top] of Object.entries(profiles)) {
    printTable(`CPU profile of the node (${path}), top self time`, top as never);
  }
  if (o.write) {
    const file = writeResults('forwarding', {
      parameters: { ...o, log: undefined, pinned: canPin },
      nodeCpuQuota: cpuQuota ? { ...cpuQuota, perPath: quotas } : null,
      nodeSource,
      load: { before: loadBefore, after: os.loadavg() },
      anchors: ANCHORS,
      summary,
      peerRatios: ratios,
      profiles,
      rows,
    });
    o.log(`results: ${file}`);
  }
  return rows;
}

/** Paths whose node cores or quota differ from the default (`fast-2w: node on cores 0,1, quota x2`). */
function pathNotes(paths: string[], canPin: boolean): string {
  const notes = paths.flatMap((p) => {
    const spec = PATHS[p];
    if (!spec || (spec.cores ?? '0') === '0' || !canPin) {
      return spec?.quotaScale ? [`${p}: quota x${spec.quotaScale}`] : [];
    }
    const cores = nodeCores(spec, canPin);
    return [
      `${p}: node on ${cores === undefined ? 'all cores' : `cores ${cores}`}${
        spec.quotaScale ? `, quota x${spec.quotaScale}` : ''
      }`,
    ];
  });
  return notes.length > 0 ? ` (${notes.join('; ')})` : '';
}

/** The table header's words for the node's CPU limit. */
function describeQuota(quota: CpuQuota | undefined, applied: ModeResult['cpuQuota'][]): string {
  if (!quota) return 'no CPU quota';
  const what = `CPU quota ${quota.cores} core per path (cgroup, ${quota.periodUs / 1000} ms period)`;
  const failed = applied.find((q) => q && !q.applied);
  return failed ? `${what} NOT APPLIED: ${failed.reason}` : what;
}

/**
 * The first steps offering at least 1.5x and 2x the sustainable count (subscribers admitted at
 * the last healthy step), and what the sessions admitted by then kept.
 */
function pastSaturation(rows: StepRow[], sustainable: number): Record<string, unknown> {
  if (sustainable === 0) return {};
  const at = (f: number) => rows.find((r) => r.subscribers >= sustainable * f);
  const pick = (r: StepRow | undefined) =>
    r && {
      offered: r.subscribers,
      admitted: r.admitted,
      refused: r.refused,
      lossPct: r.lossPct,
      preSatLossPct: r.preSatLossPct,
      preSatStarved: r.preSatStarved,
      endedByNode: r.endedByNode,
    };
  return {
    at1_5x: pick(at(1.5)),
    at2x: pick(at(2)),
    worstPreSatLossPct: Math.max(...rows.map((r) => r.preSatLossPct)),
  };
}

/** The best row with < 1 % loss and every receiver ready, by packets per CPU-second. */
function sustained(rows: StepRow[]): Record<string, number> {
  const ok = rows.filter((r) => r.lossPct < 1 && r.notReady === 0);
  const best = ok[ok.length - 1];
  if (!best) return { subscribers: 0 };
  return {
    subscribers: best.subscribers,
    admitted: best.admitted,
    forwardedPps: Math.round(best.forwardedPps),
    nodeCpu: best.nodeCpu,
    pktPerCpuS: Math.round(best.pktPerCpuS),
    bestPktPerCpuS: Math.round(Math.max(...ok.map((r) => r.pktPerCpuS))),
    deliveredPerCpuS: Math.round(deliveredPerCpuS(best)),
  };
}

function display(r: StepRow): Record<string, string | number> {
  return {
    path: r.path,
    offered: r.subscribers,
    admitted: r.admitted,
    refused: r.refused,
    'pub sent pkt/s': Math.round(r.sentPps),
    'fwd pkt/s': Math.round(r.forwardedPps),
    'node cpu': r.nodeCpu,
    'throttled %': Number.isNaN(r.throttledPct) ? '-' : Math.round(r.throttledPct),
    'pkt/cpu-s': Math.round(r.pktPerCpuS),
    'loss %': r.lossPct,
    'missing %': r.missingPct,
    'over-delivered': r.overDelivered,
    'first N': r.preSatSessions,
    'first N loss %': r.preSatLossPct,
    starved: r.starved,
    'ended/disc': `${r.endedByNode}/${r.disconnected}`,
    shed: r.endReasons.node_overloaded ?? 0,
    'pubs down': r.publishersDown,
    'delay p50 ms': r.delayP50Ms,
    'delay p99 ms': r.delayP99Ms,
    'lag p99 ms': r.lagP99Ms,
    'lag max ms': r.lagMaxMs,
    'worker sessions': r.workerSessions || '-',
    'worker lag p99 ms': r.workerLagP99Ms || '-',
    'worker cpu': r.workerCpu || '-',
    'room loss %': r.roomLoss,
    'rss MB': r.nodeRssMb,
    'harness cpu': r.harnessCpu,
    'not ready': r.notReady,
  };
}

/**
 * CPU model, cores, kernel and load average (now, and at the start when given): every run's
 * header says what it ran on.
 */
function machineHeader(loadBefore?: number[]): string {
  const load = loadBefore
    ? `load ${loadText(loadBefore)} at start, ${loadText(os.loadavg())} at end`
    : `load ${loadText(os.loadavg())}`;
  return `${os.cpus()[0]?.model ?? 'unknown CPU'} x ${os.cpus().length}, kernel ${os.release()}, ${load}`;
}

const loadText = (l: number[]) => l.map((v) => v.toFixed(2)).join(' ');

function hasTaskset(): boolean {
  return spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      paths: { type: 'string' },
      publishers: { type: 'string' },
      rooms: { type: 'string' },
      steps: { type: 'string' },
      'measure-ms': { type: 'string' },
      'warmup-ms': { type: 'string' },
      'ready-timeout-ms': { type: 'string' },
      'node-cpu-quota': { type: 'string' },
      'node-cpu-period-ms': { type: 'string' },
      'past-saturation': { type: 'string' },
      'max-subscribers': { type: 'string' },
      'overload-lag-ms': { type: 'string' },
      'overload-utilization-pct': { type: 'string' },
      'cpu-prof': { type: 'boolean' },
      repeat: { type: 'string' },
      plots: { type: 'boolean' },
      'no-pin': { type: 'boolean' },
    },
  });
  const list = (s: string | undefined) => s?.split(',').map((v) => v.trim());
  const num = (name: keyof typeof values) => {
    const raw = values[name];
    if (raw === undefined || typeof raw !== 'string') return undefined;
    const n = Number(raw);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} must be a number >= 0`);
    return n;
  };
  await run({
    ...(values.paths ? { paths: list(values.paths) as string[] } : {}),
    ...(values.publishers ? { publishers: Number(values.publishers) } : {}),
    ...(values.rooms ? { rooms: Number(values.rooms) } : {}),
    ...(values.steps ? { steps: (list(values.steps) as string[]).map(Number) } : {}),
    ...(values['measure-ms'] ? { measureMs: Number(values['measure-ms']) } : {}),
    ...(values['warmup-ms'] ? { warmupMs: Number(values['warmup-ms']) } : {}),
    ...(values['ready-timeout-ms'] ? { readyTimeoutMs: Number(values['ready-timeout-ms']) } : {}),
    ...(values['node-cpu-quota'] ? { nodeCpuQuota: num('node-cpu-quota') } : {}),
    ...(values['node-cpu-period-ms'] ? { nodeCpuPeriodMs: num('node-cpu-period-ms') } : {}),
    ...(values['past-saturation']
      ? { pastSaturation: (list(values['past-saturation']) as string[]).map(Number) }
      : {}),
    ...(values['max-subscribers'] ? { maxSubscribers: num('max-subscribers') } : {}),
    ...(values['overload-lag-ms'] ? { overloadLagMs: num('overload-lag-ms') } : {}),
    ...(values['overload-utilization-pct']
      ? { overloadUtilizationPct: num('overload-utilization-pct') }
      : {}),
    ...(values.repeat ? { repeat: num('repeat') } : {}),
    ...(values.plots ? { plotDir: fileURLToPath(new URL('../docs/', import.meta.url)) } : {}),
    cpuProf: values['cpu-prof'] === true,
    pin: values['no-pin'] !== true,
  });
  process.exit(0);
}
