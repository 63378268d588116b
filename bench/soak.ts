/**
 * Steady-load soak of one media node (issue 7: "no growth per subscriber over a 10-minute run at
 * steady load"). The forwarding benchmark's rig (bench/forwarding/rig.ts): a real node pinned to
 * core 0, the harness on core 1, `publishers` sending 50 + 50 packets/s each into one room and
 * `subscribers` receiving every stream, all joined once and held for the whole run. Every
 * `sample-ms` it records the node's RSS (/proc), V8 heap used (`nodejs_heap_size_used_bytes`
 * from the node's /metrics, no forced GC: a sawtooth the fit averages over), loss over the
 * interval, forwarded packets/s, CPU and event-loop lag. At the end: RSS and heap slopes (MB
 * per minute, least squares over the samples after `settle-ms`) and RSS per subscriber at the
 * first and last sample ((RSS - RSS of the node before any session) / subscribers).
 *
 * Both are a sawtooth with a period of minutes (GC, the allocator returning pages), which a
 * 10-minute fit reads as growth or shrinkage depending on phase. With `--gc` the node runs with
 * its inspector on loopback (as bench/memory.ts) and every sample is also taken after two full
 * GCs forced through it (bench/memory/inspector.ts): live heap and the RSS left after it, plus
 * the node's active handles. The forced GC pauses forwarding briefly between windows.
 *
 *   node bench/soak.ts [--soak-ms 600000] [--subscribers 100] [--publishers 4] [--path fast-batch]
 *                      [--sample-ms 30000] [--settle-ms 120000] [--gc] [--node-cpu-quota 0.35]
 *                      [--no-pin]
 */
import { spawnSync } from 'node:child_process';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { freePorts } from '../test/support/free-port.ts';
import { lossPct, startRig } from './forwarding/rig.ts';
import { printTable, sourceFingerprint, writeResults } from './lib/results.ts';
import { inspectMemory } from './memory/inspector.ts';
import { type SoakSample, soakSummary } from './soak/summary.ts';

/** The node's environment per path (as in bench/forwarding.ts; sessions on the main thread). */
const PATH_ENV: Record<string, Record<string, string>> = {
  stock: { FORWARDER: 'stock', WORKERS: '0' },
  'fast-batch': { FORWARDER: 'fast', FAST_SEND: 'batch', WORKERS: '0' },
  'fast-workers': { FORWARDER: 'fast', WORKERS: '2' },
};

export interface SoakOptions {
  path: string;
  subscribers: number;
  publishers: number;
  soakMs: number;
  sampleMs: number;
  /** Samples before this (from the first) are left out of the slopes: start-up allocation. */
  settleMs: number;
  nodeCpuQuota: number | undefined;
  pin: boolean;
  /** Also sample after forced full GCs through the node's inspector. */
  gc: boolean;
}

export async function soak(o: SoakOptions): Promise<ReturnType<typeof soakSummary>> {
  const env = PATH_ENV[o.path];
  if (!env) throw new Error(`unknown path ${o.path} (known: ${Object.keys(PATH_ENV).join(', ')})`);
  const pin =
    o.pin &&
    os.cpus().length >= 2 &&
    spawnSync('taskset', ['-V'], { stdio: 'ignore' }).status === 0;
  if (pin) spawnSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
  const loadBefore = os.loadavg();
  const started = new Date().toISOString();
  const [inspectPort = 0] = o.gc ? await freePorts(1) : [];
  const rig = await startRig({
    env: o.gc ? { ...env, NODE_OPTIONS: `--inspect=127.0.0.1:${inspectPort}` } : env,
    publishers: o.publishers,
    joinConcurrency: 6,
    nodeCore: pin && o.path !== 'fast-workers' ? 0 : undefined,
    cpuQuota: o.nodeCpuQuota ? { cores: o.nodeCpuQuota, periodUs: 10_000 } : undefined,
    cpuProfileDir: undefined,
    log: (line) => console.log(line),
  });
  const samples: SoakSample[] = [];
  const rssIdleMb = rig.rssIdleBytes / 1024 / 1024;
  let joined = { ok: 0, refused: 0 };
  let notReady = 0;
  try {
    if (rig.node.cpuLimit && !rig.node.cpuLimit.applied) {
      console.log(`NO CPU quota for the node: ${rig.node.cpuLimit.reason}`);
    }
    await rig.addPublishers();
    joined = await rig.addSubscribers(o.subscribers, o.subscribers);
    rig.startMedia();
    notReady = await rig.waitReady(15_000);
    console.log(
      `soak: ${o.path}, ${joined.ok} subscribers (${joined.refused} refused), ` +
        `${o.publishers} publishers, ${notReady} not ready; ${o.soakMs / 60_000} min`,
    );
    const t0 = performance.now();
    const count = Math.max(1, Math.floor(o.soakMs / o.sampleMs));
    for (let i = 0; i < count; i++) {
      // The window leaves 1 s per sample for in-flight packets and the scrape.
      const w = await rig.measure(o.sampleMs - 1_000);
      await new Promise((r) => setTimeout(r, 400));
      const gc = o.gc ? await inspectMemory(inspectPort) : undefined;
      const s: SoakSample = {
        minute: (performance.now() - t0) / 60_000,
        rssMb: w.rssBytes / 1024 / 1024,
        heapUsedMb: w.after.heapUsedBytes / 1024 / 1024,
        externalMb: w.after.externalBytes / 1024 / 1024,
        lossPct: lossPct(w.expected, w.received),
        forwardedPps: w.packetsOut / w.wallS,
        nodeCpu: w.nodeCpuS / w.wallS,
        lagP99Ms: w.after.lagP99Ms,
        starved: w.cohorts.reduce((n, c) => n + c.starved, 0),
        disconnected: w.disconnected,
        ...(gc
          ? {
              gcRssMb: gc.rssBytes / 1024 / 1024,
              gcHeapUsedMb: gc.heapUsedBytes / 1024 / 1024,
              handles: gc.handleCount,
            }
          : {}),
      };
      samples.push(s);
      console.log(
        `t=${s.minute.toFixed(1)} min rss=${s.rssMb.toFixed(1)} MB heap=${s.heapUsedMb.toFixed(1)} MB ` +
          `external=${s.externalMb.toFixed(1)} MB ` +
          (s.gcRssMb === undefined
            ? ''
            : `afterGC: rss=${s.gcRssMb.toFixed(1)} heap=${s.gcHeapUsedMb?.toFixed(1)} handles=${s.handles} `) +
          `loss=${s.lossPct.toFixed(3)}% fwd=${Math.round(s.forwardedPps)}/s cpu=${s.nodeCpu.toFixed(2)} ` +
          `lagP99=${Math.round(s.lagP99Ms)}ms starved=${s.starved} disconnected=${s.disconnected}`,
      );
    }
  } finally {
    await rig.close();
  }
  const summary = soakSummary(samples, {
    settleMinutes: o.settleMs / 60_000,
    subscribers: Math.max(1, joined.ok),
    rssIdleMb,
  });
  printTable(
    `Soak: ${o.path}, ${joined.ok} subscribers x ${o.publishers} publishers, ${o.soakMs / 60_000} min, node ${
      pin ? 'pinned to core 0' : 'NOT pinned'
    }${o.nodeCpuQuota ? `, CPU quota ${o.nodeCpuQuota} core` : ''}${o.gc ? ', forced GC before each after-GC sample' : ''}`,
    samples.map((s) => ({
      minute: s.minute,
      'rss MB': s.rssMb,
      'heap used MB': s.heapUsedMb,
      'external MB': s.externalMb,
      ...(s.gcRssMb === undefined
        ? {}
        : {
            'rss after GC MB': s.gcRssMb,
            'heap after GC MB': s.gcHeapUsedMb ?? Number.NaN,
            handles: s.handles ?? Number.NaN,
          }),
      'loss %': s.lossPct,
      'fwd pkt/s': Math.round(s.forwardedPps),
      'node cpu': s.nodeCpu,
      'lag p99 ms': s.lagP99Ms,
      starved: s.starved,
    })),
  );
  printTable(
    `Growth (least squares over samples from minute ${(o.settleMs / 60_000).toFixed(1)}; RSS of the node before any session ${rssIdleMb.toFixed(1)} MB)`,
    [summary],
  );
  const file = writeResults('soak', {
    parameters: { ...o, pinned: pin, startedAt: started },
    nodeSource: sourceFingerprint('media-node/src'),
    load: { before: loadBefore, after: os.loadavg() },
    joined,
    notReady,
    rssIdleMb,
    refusals: Object.fromEntries(rig.refusals),
    summary,
    samples,
  });
  console.log(`results: ${file}`);
  return summary;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: {
      path: { type: 'string' },
      subscribers: { type: 'string' },
      'soak-subscribers': { type: 'string' },
      publishers: { type: 'string' },
      'soak-ms': { type: 'string' },
      'sample-ms': { type: 'string' },
      'settle-ms': { type: 'string' },
      'node-cpu-quota': { type: 'string' },
      'no-pin': { type: 'boolean' },
      gc: { type: 'boolean' },
    },
  });
  const num = (raw: string | undefined, name: string, fallback: number) => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
    return n;
  };
  const sampleMs = num(values['sample-ms'], 'sample-ms', 30_000);
  if (sampleMs < 5_000) throw new Error('--sample-ms must be at least 5000');
  await soak({
    path: values.path ?? 'fast-batch',
    subscribers: num(values.subscribers ?? values['soak-subscribers'], 'subscribers', 100),
    publishers: num(values.publishers, 'publishers', 4),
    soakMs: num(values['soak-ms'], 'soak-ms', 600_000),
    sampleMs,
    settleMs: num(values['settle-ms'], 'settle-ms', 120_000),
    nodeCpuQuota: values['node-cpu-quota']
      ? num(values['node-cpu-quota'], 'node-cpu-quota', 1)
      : undefined,
    pin: values['no-pin'] !== true,
    gc: values.gc === true,
  });
  process.exit(0);
}
