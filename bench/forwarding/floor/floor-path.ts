/**
 * The `floor` path of the forwarding benchmark: floor.c, compiled here with the system's C
 * compiler against OpenSSL, doing only what forwarding physically must (per packet one SRTP
 * AES-GCM decrypt; per subscriber a header rewrite, one AES-GCM encrypt, one datagram of a
 * sendmmsg call) on the same offered load (publishers x 50 audio + 50 video pkt/s, fanned out to
 * each step's subscribers), pinned and CPU-limited like the media node. Its delivered packets per
 * CPU-second at the highest lossless step are the machine's ceiling for the real paths.
 *
 * Each step runs a fresh forwarder (`floor fwd`, measured) and load generator + sink (`floor
 * load`, on the harness's core). Loss is what the sink did not get of what was sent in the
 * window, per subscriber. After the listed steps it goes on (x1.5) until a step loses >= 1 %,
 * so that its ceiling is measured even when the listed steps are all lossless.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CpuQuota, createCpuLimit, throttleDelta } from '../../lib/cgroup.ts';
import { atExit, ownDir } from '../../lib/children.ts';
import { cpuSeconds } from '../../lib/proc.ts';
import type { ModeResult, StepRow } from '../run-mode.ts';

const SOURCE = fileURLToPath(new URL('./floor.c', import.meta.url));
const HEALTHY_LOSS_PCT = 1;
/** Past the listed steps: each next step is this many times the last, up to `MAX_STEP`. */
const EXTEND_FACTOR = 1.5;
const MAX_STEP = 3_000;

export interface FloorOptions {
  publishers: number;
  steps: number[];
  warmupMs: number;
  measureMs: number;
  nodeCore: number | string | undefined;
  cpuQuota: CpuQuota | undefined;
  /** No step past this many subscribers (default 3,000). */
  maxStep?: number;
  log(line: string): void;
}

/** Compiles floor.c; undefined (and why, logged) when it cannot be built here. */
export function buildFloor(log: (line: string) => void): string | undefined {
  const dir = ownDir(mkdtempSync(join(os.tmpdir(), 'bench-floor-')));
  const bin = join(dir, 'floor');
  const cc = spawnSync('cc', ['-O2', '-Wall', '-o', bin, SOURCE, '-lcrypto'], { encoding: 'utf8' });
  if (cc.status !== 0) {
    log(`floor: cannot build (${cc.error?.message ?? cc.stderr.trim()}), skipped`);
    return undefined;
  }
  return bin;
}

export async function runFloorPath(o: FloorOptions): Promise<ModeResult | undefined> {
  const bin = buildFloor(o.log);
  if (!bin) return undefined;
  const rows: StepRow[] = [];
  let sustainable = 0;
  const steps = [...o.steps];
  for (let i = 0; i < steps.length; i++) {
    const subs = steps[i] as number;
    const row = await floorStep(bin, subs, o);
    rows.push(row);
    o.log(
      `floor offered=${subs} delivered=${Math.round(row.deliveredPps)}/s cpu=${row.nodeCpu.toFixed(2)} ` +
        `throttled=${row.throttledPct.toFixed(0)}% pkt/cpu-s=${Math.round(row.pktPerCpuS)} ` +
        `loss=${row.lossPct.toFixed(2)}% worst subscriber=${row.missingPct.toFixed(2)}%`,
    );
    if (!(row.lossPct < HEALTHY_LOSS_PCT)) break;
    sustainable = subs;
    if (i === steps.length - 1) {
      const next = Math.round(subs * EXTEND_FACTOR);
      if (next <= (o.maxStep ?? MAX_STEP)) steps.push(next);
    }
  }
  return {
    rows,
    idleRssMb: Number.NaN,
    sustainable: { step: sustainable, admitted: sustainable },
    refusals: {},
    cpuQuota: o.cpuQuota && {
      applied: true,
      cores: o.cpuQuota.cores,
      periodUs: o.cpuQuota.periodUs,
    },
    nodeDied: undefined,
  };
}

async function floorStep(bin: string, subs: number, o: FloorOptions): Promise<StepRow> {
  const load = spawn(bin, ['load', String(o.publishers), String(subs)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const loadOut = lineReader(load);
  let fwd: ChildProcess | undefined;
  const kill = () => {
    for (const c of [fwd, load]) {
      if (c && c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    }
  };
  const unregister = atExit(kill);
  const limit = o.cpuQuota
    ? createCpuLimit(`floor-bench-${process.pid}-${subs}`, o.cpuQuota)
    : undefined;
  try {
    const sinkPort = (await loadOut('sink')).split(' ')[1];
    const fwdArgs = ['fwd', String(sinkPort), String(subs)];
    fwd =
      o.nodeCore === undefined
        ? spawn(bin, fwdArgs, { stdio: ['ignore', 'pipe', 'inherit'] })
        : spawn('taskset', ['-c', String(o.nodeCore), bin, ...fwdArgs], {
            stdio: ['ignore', 'pipe', 'inherit'],
          });
    const pid = fwd.pid as number;
    if (limit && !limit.attach(pid)) throw new Error(`floor: no CPU quota: ${limit.reason}`);
    const fwdPort = (await lineReader(fwd)('fwd')).split(' ')[1];
    load.stdin?.write(`fwd ${fwdPort}\n`);
    await sleep(o.warmupMs);
    const throttle0 = limit?.throttle();
    const cpu0 = cpuSeconds(pid);
    const t0 = performance.now();
    load.stdin?.write('start\n');
    await sleep(o.measureMs);
    load.stdin?.write('stop\n');
    const cpuS = cpuSeconds(pid) - cpu0;
    const wallS = (performance.now() - t0) / 1000;
    const throttle1 = limit?.throttle();
    const [, sent, received, minSub] = (await loadOut('result')).split(' ').map(Number) as number[];
    const expected = (sent as number) * subs;
    const loss =
      expected > 0 ? Math.max(0, (1 - (received as number) / expected) * 100) : Number.NaN;
    const throttle = throttleDelta(throttle0, throttle1);
    return floorRow({
      subscribers: subs,
      admitted: subs,
      forwardedPps: (received as number) / wallS,
      deliveredPps: (received as number) / wallS,
      sentPps: (sent as number) / wallS,
      nodeCpu: cpuS / wallS,
      throttledPct:
        throttle && throttle.periods > 0
          ? (throttle.throttledPeriods / throttle.periods) * 100
          : Number.NaN,
      pktPerCpuS: cpuS > 0 ? (received as number) / cpuS : Number.NaN,
      lossPct: loss,
      // The worst subscriber's loss, in percent.
      missingPct:
        (sent as number) > 0 ? (1 - (minSub as number) / (sent as number)) * 100 : Number.NaN,
    });
  } finally {
    kill();
    unregister();
    await sleep(100);
    limit?.remove();
  }
}

/** A floor step in the media node's row shape (node-only columns empty). */
function floorRow(r: Partial<StepRow> & Pick<StepRow, 'subscribers' | 'lossPct'>): StepRow {
  return {
    path: 'floor',
    admitted: r.subscribers,
    refusedStep: 0,
    refused: 0,
    notReady: 0,
    forwardedPps: Number.NaN,
    deliveredPps: Number.NaN,
    sentPps: Number.NaN,
    nodeCpu: Number.NaN,
    throttledPct: Number.NaN,
    pktPerCpuS: Number.NaN,
    preSatStep: 0,
    preSatSessions: r.subscribers,
    preSatLossPct: r.lossPct,
    preSatStarved: 0,
    starved: 0,
    disconnected: 0,
    endedByNode: 0,
    publishersDown: 0,
    states: {},
    publisherStates: [],
    endReasons: {},
    delayP50Ms: Number.NaN,
    delayP99Ms: Number.NaN,
    lagP99Ms: Number.NaN,
    lagMaxMs: Number.NaN,
    workers: 0,
    workerSessions: '',
    workerLagP99Ms: '',
    workerCpu: '',
    roomLoss: '',
    rooms: [],
    overDelivered: 0,
    crossRoom: 0,
    missingPct: Number.NaN,
    byPublisher: [],
    nodeRssMb: Number.NaN,
    heapUsedMb: Number.NaN,
    harnessCpu: Number.NaN,
    authFailures: 0,
    joinFailures: 0,
    forwarderPaths: '',
    srtpBackend: 'openssl',
    fastSend: 'sendmmsg',
    sendBatchSize: r.subscribers,
    sendErrors: 0,
    cohorts: [],
    ...r,
  };
}

/** Returns a function resolving with the child's next stdout line that starts with `prefix`. */
function lineReader(child: ChildProcess): (prefix: string, timeoutMs?: number) => Promise<string> {
  const lines: string[] = [];
  const waiters: Array<() => void> = [];
  let partial = '';
  child.stdout?.on('data', (c: Buffer) => {
    const parts = (partial + c.toString()).split('\n');
    partial = parts.pop() ?? '';
    lines.push(...parts);
    for (const w of waiters.splice(0)) w();
  });
  child.once('exit', () => {
    for (const w of waiters.splice(0)) w();
  });
  return async (prefix, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = lines.findIndex((l) => l.startsWith(prefix));
      if (i >= 0) return lines.splice(0, i + 1).pop() as string;
      if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
        throw new Error(`floor: no '${prefix}' line (exit ${child.exitCode ?? child.signalCode})`);
      }
      await Promise.race([new Promise<void>((r) => waiters.push(r)), sleep(200)]);
    }
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
