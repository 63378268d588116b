/**
 * One forwarding path measured over growing subscriber counts on a fresh node (rig.ts):
 * publishers join a room and send at a fixed rate, subscribers are added step by step, and each
 * step measures a fixed window once every receiver gets every stream (or the ready timeout).
 *
 * Past saturation the node may refuse sessions (503 capacity_exceeded): a step's `subscribers`
 * is what was offered, `admitted` what the node took. The step is healthy when its admitted
 * receivers lose < 1 % and every one is ready; `sustainable` is the last step of the unbroken
 * healthy run from the start, and the sessions admitted up to it (the pre-saturation cohort)
 * are followed separately in every later step. The overload factors multiply the subscribers
 * admitted at that step (offered load: what the node refuses is load it shed). A node that dies ends its path with `nodeDied`. With `pastSaturation` factors the curve goes on
 * to e.g. 1.5x and 2x the sustainable count after the listed steps.
 */
import type { CpuQuota } from '../lib/cgroup.ts';
import type { NodeUnderTest } from './node-under-test.ts';
import { type CohortTally, lossPct, type Rig, type RigOptions, startRig } from './rig.ts';

/**
 * What a step loop needs of a rig: the media node's (rig.ts) or another server's on the same
 * workload (janus/janus-rig.ts).
 */
export interface MeasuredRig
  extends Pick<
    Rig,
    | 'refusals'
    | 'rssIdleBytes'
    | 'joinFailures'
    | 'addPublishers'
    | 'addSubscribers'
    | 'startMedia'
    | 'waitReady'
    | 'measure'
    | 'close'
  > {
  readonly node: Pick<NodeUnderTest, 'cpuLimit' | 'rssBytes' | 'exit'>;
  readonly peers: readonly { readonly publisher: number | undefined }[];
}

/** A step past which the node is considered collapsed (see `stopAtCollapse`). */
const COLLAPSE_LOSS = 0.25;
/** Healthy: less loss than this, in percent. */
const HEALTHY_LOSS_PCT = 1;

export interface ModeOptions {
  path: string;
  env: Record<string, string>;
  /** Publishers per room. */
  publishers: number;
  /** Rooms, each with `publishers` publishers; subscribers round-robin over them. */
  rooms: number;
  steps: number[];
  warmupMs: number;
  measureMs: number;
  readyTimeoutMs: number;
  joinConcurrency: number;
  /** `taskset -c` CPU list for the node (`0`, `0,1`); undefined: not pinned. */
  nodeCore: number | string | undefined;
  cpuQuota: CpuQuota | undefined;
  cpuProfileDir: string | undefined;
  /** Stop after two steps losing > 25 % (stock, which collapses); else step on regardless. */
  stopAtCollapse: boolean;
  /** After the listed steps, add steps at these multiples of the sustainable count. */
  pastSaturation: number[];
  /** Never offer more subscribers than this (the harness's own limit). */
  maxSubscribers: number;
  log(line: string): void;
  /** The server under test and its peers (default: a media node, rig.ts). */
  startRig?: (o: RigOptions) => Promise<MeasuredRig>;
}

export interface StepRow {
  path: string;
  /** Subscribers offered (the step). */
  subscribers: number;
  /** Subscribers the node admitted so far (connected, kept). */
  admitted: number;
  /** Joins refused in this step, and since the start. */
  refusedStep: number;
  refused: number;
  notReady: number;
  /** Packets the node sent per second (its own counter). */
  forwardedPps: number;
  /** Packets receivers decrypted per second (sent inside the window). */
  deliveredPps: number;
  /**
   * Packets the publishers sent per second (nominal 100 each): below nominal, the harness's
   * timers ran late (e.g. a node on all cores sharing the harness's core).
   */
  sentPps: number;
  nodeCpu: number;
  /** Share of CFS periods in which the quota throttled the node (NaN without a quota). */
  throttledPct: number;
  pktPerCpuS: number;
  /** Loss among every admitted receiver (publishers included); refused sessions are not in it. */
  lossPct: number;
  /** The sustainable step so far, and the loss of the sessions admitted up to it. */
  preSatStep: number;
  preSatSessions: number;
  preSatLossPct: number;
  preSatStarved: number;
  /** Receivers with < 50 % of their packets in the window. */
  starved: number;
  /** Admitted peers not `connected` any more, and sessions the node reported ended. */
  disconnected: number;
  endedByNode: number;
  /** Publishers whose connection failed or ended (their streams are lost to everyone). */
  publishersDown: number;
  states: Record<string, number>;
  publisherStates: string[];
  /** Why the node ended the sessions it ended (`connect_timeout: 3`). */
  endReasons: Record<string, number>;
  delayP50Ms: number;
  delayP99Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  workers: number;
  /** Per worker thread (`0:152 1:151`): sessions, lag p99 ms, busy share of a core. */
  workerSessions: string;
  workerLagP99Ms: string;
  workerCpu: string;
  /** Loss per room (`0:0.00 1:0.12`, percent), each against what its receivers should get. */
  roomLoss: string;
  /** Per room: expected and received packets in the window. */
  rooms: Array<{ room: number; sessions: number; expected: number; received: number }>;
  /** Packets beyond what receivers should get, and receivers that saw another room's stream. */
  overDelivered: number;
  crossRoom: number;
  /** Missing packets per (receiver, publisher) stream, in percent of expected (no netting). */
  missingPct: number;
  /** Per publisher: expected and received over its room's receivers. */
  byPublisher: Array<{ publisher: number; room: number; expected: number; received: number }>;
  nodeRssMb: number;
  heapUsedMb: number;
  harnessCpu: number;
  authFailures: number;
  joinFailures: number;
  forwarderPaths: string;
  srtpBackend: string;
  /** The node's fast-path UDP send mode (`media_fast_send_mode`). */
  fastSend: string;
  /** Datagrams per native send call in the window (0 on dgram sends). */
  sendBatchSize: number;
  /** Datagrams the kernel refused in batched sends in the window (EAGAIN, ENOBUFS, ...). */
  sendErrors: number;
  cohorts: Array<CohortTally & { lossPct: number }>;
}

export interface ModeResult {
  rows: StepRow[];
  idleRssMb: number;
  /**
   * The last step of the unbroken healthy run from the start (0: none was healthy) and the
   * subscribers admitted then: the sustainable load the overload factors multiply.
   */
  sustainable: { step: number; admitted: number };
  refusals: Record<string, number>;
  cpuQuota: { applied: boolean; cores: number; periodUs: number; reason?: string } | undefined;
  /** The node process ended during this step (crash or kill): the path stopped there. */
  nodeDied: { step: number; code: number | null; signal: string | null; error: string } | undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runMode(o: ModeOptions): Promise<ModeResult> {
  const rig = await (o.startRig ?? startRig)(o);
  const limit = rig.node.cpuLimit;
  const cpuQuota = limit
    ? {
        applied: limit.applied,
        cores: limit.quota.cores,
        periodUs: limit.quota.periodUs,
        ...(limit.reason ? { reason: limit.reason } : {}),
      }
    : undefined;
  if (limit && !limit.applied) o.log(`${o.path}: NO CPU quota for the node: ${limit.reason}`);
  const rows: StepRow[] = [];
  let idleRssMb = Number.NaN;
  let sustainable = 0;
  let sustainableAdmitted = 0;
  let nodeDied: ModeResult['nodeDied'];
  let step = 0;
  try {
    await rig.addPublishers();
    const steps = [...o.steps];
    let refused = 0;
    let collapsed = 0;
    let healthySoFar = true;
    let extended = false;
    for (let i = 0; i < steps.length; i++) {
      step = steps[i] as number;
      const admittedBefore = admitted(rig);
      const joined = await rig.addSubscribers(Math.max(0, step - admittedBefore), step);
      refused += joined.refused;
      if (i === 0) {
        // Idle RSS per connected session: the first step's sessions before any media flows.
        await sleep(1_000);
        idleRssMb = (rig.node.rssBytes() - rig.rssIdleBytes) / 1024 / 1024 / rig.peers.length;
        rig.startMedia();
      }
      const notReady = await rig.waitReady(o.readyTimeoutMs);
      await sleep(o.warmupMs);
      const w = await rig.measure(o.measureMs);
      const loss = lossPct(w.expected, w.received);
      // Refusals do not make a step unhealthy: the guard also refuses on join bursts (DTLS
      // handshakes) while forwarding has room; they are reported in their own column.
      const healthy = loss < HEALTHY_LOSS_PCT && notReady === 0;
      if (healthySoFar && healthy) {
        sustainable = step;
        sustainableAdmitted = admitted(rig);
      } else healthySoFar = false;
      const pre = w.cohorts.filter((c) => c.cohort <= sustainable);
      const sum = (k: 'sessions' | 'expected' | 'received' | 'starved') =>
        pre.reduce((a, c) => a + c[k], 0);
      const a = w.after;
      const b = w.before;
      const row: StepRow = {
        path: o.path,
        subscribers: step,
        admitted: admitted(rig),
        refusedStep: joined.refused,
        refused,
        notReady,
        forwardedPps: w.packetsOut / w.wallS,
        deliveredPps: w.received / w.wallS,
        sentPps: w.sent / w.wallS,
        nodeCpu: w.nodeCpuS / w.wallS,
        throttledPct:
          w.throttle && w.throttle.periods > 0
            ? (w.throttle.throttledPeriods / w.throttle.periods) * 100
            : Number.NaN,
        pktPerCpuS: w.nodeCpuS > 0 ? w.packetsOut / w.nodeCpuS : Number.NaN,
        lossPct: loss,
        preSatStep: sustainable,
        preSatSessions: sum('sessions'),
        preSatLossPct: lossPct(sum('expected'), sum('received')),
        preSatStarved: sum('starved'),
        starved: w.cohorts.reduce((n, c) => n + c.starved, 0),
        disconnected: w.disconnected,
        endedByNode: w.endedByNode,
        publishersDown: w.publishersDown,
        states: w.states,
        endReasons: w.endReasons,
        publisherStates: w.publisherStates,
        delayP50Ms: w.delays.p50,
        delayP99Ms: w.delays.p99,
        lagP99Ms: a.lagP99Ms,
        lagMaxMs: a.lagMaxMs,
        workers: a.workers,
        workerSessions: perWorker(a.workerSessions, 0),
        workerLagP99Ms: perWorker(a.workerLagP99Ms, 0),
        workerCpu: perWorker(a.workerCpu, 2),
        roomLoss: w.rooms
          .map((r) => `${r.room}:${lossPct(r.expected, r.received).toFixed(2)}`)
          .join(' '),
        rooms: w.rooms,
        overDelivered: w.overDelivered,
        crossRoom: w.crossRoom,
        byPublisher: w.byPublisher,
        missingPct: w.expected > 0 ? (w.missing / w.expected) * 100 : Number.NaN,
        nodeRssMb: w.rssBytes / 1024 / 1024,
        heapUsedMb: a.heapUsedBytes / 1024 / 1024,
        harnessCpu: w.harnessCpuS / w.wallS,
        authFailures: w.authFailures,
        joinFailures: rig.joinFailures,
        forwarderPaths: Object.entries(a.forwarderPaths)
          .map(([k, v]) => `${k}:${v}`)
          .join(' '),
        srtpBackend: a.srtpBackend,
        fastSend: a.fastSend,
        sendBatchSize:
          a.sendBatches > b.sendBatches
            ? Math.round(
                ((a.sendDatagrams - b.sendDatagrams) / (a.sendBatches - b.sendBatches)) * 10,
              ) / 10
            : 0,
        sendErrors: a.sendErrors - b.sendErrors,
        cohorts: w.cohorts.map((c) => ({ ...c, lossPct: lossPct(c.expected, c.received) })),
      };
      rows.push(row);
      o.log(
        `${o.path} offered=${step} admitted=${row.admitted} refused=${refused} ` +
          `fwd=${Math.round(row.forwardedPps)}/s cpu=${row.nodeCpu.toFixed(2)} ` +
          `throttled=${row.throttledPct.toFixed(0)}% loss=${loss.toFixed(2)}% ` +
          `preSat(${sustainable})=${row.preSatLossPct.toFixed(2)}% starved=${row.starved} ` +
          `lagP99=${Math.round(row.lagP99Ms)}ms harness=${row.harnessCpu.toFixed(2)} ` +
          `notReady=${notReady} ended=${row.endedByNode} disconnected=${row.disconnected} ` +
          `pubDown=${row.publishersDown} workers=${row.workers} ` +
          `workerSessions=${row.workerSessions} workerLag=${row.workerLagP99Ms} ` +
          `missing=${row.missingPct.toFixed(2)}% roomLoss=${row.roomLoss} over=${row.overDelivered} crossRoom=${row.crossRoom} endReasons=${JSON.stringify(row.endReasons)}`,
      );
      collapsed = loss > COLLAPSE_LOSS * 100 ? collapsed + 1 : 0;
      if (o.stopAtCollapse && collapsed >= 2) break;
      if (i === steps.length - 1 && !extended && sustainableAdmitted > 0) {
        extended = true;
        for (const f of o.pastSaturation) {
          const next = Math.round(sustainableAdmitted * f);
          const last = steps[steps.length - 1] as number;
          if (next > last && next <= o.maxSubscribers) steps.push(next);
        }
      }
    }
  } catch (error) {
    // A node that died is a result (reported, the next path runs); anything else is a bug.
    await sleep(200);
    const exit = rig.node.exit();
    if (!exit) throw error;
    nodeDied = {
      step,
      code: exit.code,
      signal: exit.signal,
      error: error instanceof Error ? error.message : String(error),
    };
    o.log(`${o.path}: the node DIED at step ${step} (code ${exit.code}, signal ${exit.signal})`);
  } finally {
    await rig.close();
  }
  return {
    rows,
    idleRssMb,
    sustainable: { step: sustainable, admitted: sustainableAdmitted },
    refusals: Object.fromEntries(rig.refusals),
    cpuQuota,
    nodeDied,
  };
}

function admitted(rig: MeasuredRig): number {
  return rig.peers.filter((p) => p.publisher === undefined).length;
}

/** `0:152 1:151`: one figure per worker label, sorted by label. */
function perWorker(values: Record<string, number>, digits: number): string {
  return Object.keys(values)
    .sort()
    .map((k) => `${k}:${(values[k] as number).toFixed(digits)}`)
    .join(' ');
}
