/**
 * One forwarding path ("stock" or "fast") measured over growing subscriber counts on a fresh
 * node: publishers join a room and send at a fixed rate, subscribers are added step by step,
 * and each step measures a fixed window once every receiver gets every stream.
 */
import { nodeApi } from '../../media-node/test/helpers/node-api.ts';
import { startFakeEdge } from '../../test/support/fake-edge.ts';
import { cpuSeconds } from '../lib/proc.ts';
import { summarize } from '../lib/stats.ts';
import { BenchPeer, Refused } from './bench-peer.ts';
import { startNode } from './node-under-test.ts';
import { nowMs } from './probe-payload.ts';
import { ReceiveTally } from './rtp-tap.ts';

const SECRET = 'bench-forwarding-secret-0123456789';
/** Publishers tick every 20 ms: 50 audio + 50 video packets per second each. */
const TICK_MS = 20;
/** A step past which the node is considered collapsed (the overload curve stops after two). */
const COLLAPSE_LOSS = 0.25;

export interface ModeOptions {
  path: string;
  env: Record<string, string>;
  publishers: number;
  steps: number[];
  warmupMs: number;
  measureMs: number;
  readyTimeoutMs: number;
  joinConcurrency: number;
  nodeCore: number | undefined;
  cpuProfileDir: string | undefined;
  log(line: string): void;
}

export interface StepRow {
  path: string;
  subscribers: number;
  refused: number;
  notReady: number;
  /** Packets the node sent per second (its own counter). */
  forwardedPps: number;
  /** Packets receivers decrypted per second (sent inside the window). */
  deliveredPps: number;
  nodeCpu: number;
  pktPerCpuS: number;
  lossPct: number;
  delayP50Ms: number;
  delayP99Ms: number;
  lagP99Ms: number;
  lagMaxMs: number;
  nodeRssMb: number;
  harnessCpu: number;
  authFailures: number;
  forwarderPaths: string;
  srtpBackend: string;
  /** The node's fast-path UDP send mode (`media_fast_send_mode`). */
  fastSend: string;
  /** Datagrams per native send call in the window (0 on dgram sends). */
  sendBatchSize: number;
  /** Datagrams the kernel refused in batched sends in the window (EAGAIN, ENOBUFS, ...). */
  sendErrors: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runMode(o: ModeOptions): Promise<{ rows: StepRow[]; idleRssMb: number }> {
  const edge = await startFakeEdge(SECRET, 1_000);
  const node = await startNode({
    core: o.nodeCore,
    edge,
    secret: SECRET,
    env: { HEARTBEAT_INTERVAL_MS: '1000', DRAIN_TIMEOUT_MS: '1000', ...o.env },
    cpuProfileDir: o.cpuProfileDir,
  });
  const tally = new ReceiveTally();
  const target = { api: nodeApi(node.url, SECRET), edge, room: 'bench', tally };
  const peers: BenchPeer[] = [];
  const publishers: BenchPeer[] = [];
  const sentInWindow: number[] = [];
  const rows: StepRow[] = [];
  let timer: NodeJS.Timeout | undefined;
  let idleRssMb = Number.NaN;
  try {
    const rss0 = node.rssBytes();
    for (let p = 0; p < o.publishers; p++) {
      const pub = new BenchPeer(target, `pub-${p}`, p);
      await pub.join();
      publishers.push(pub);
      peers.push(pub);
      sentInWindow.push(0);
    }
    let subs = 0;
    let refused = 0;
    let collapsed = 0;
    for (const step of o.steps) {
      const joined = await addSubscribers(step - subs, subs);
      subs += joined.ok;
      refused += joined.refused;
      if (!timer) {
        // Idle RSS per connected session: the first step's sessions before any media flows.
        await sleep(1_000);
        idleRssMb = (node.rssBytes() - rss0) / 1024 / 1024 / Math.max(1, peers.length);
        timer = setInterval(() => {
          const t = nowMs();
          const inWindow = t >= tally.windowStartMs && t < tally.windowEndMs;
          for (const [i, pub] of publishers.entries()) {
            const n = pub.sendTick(t);
            if (inWindow) sentInWindow[i] = (sentInWindow[i] ?? 0) + n;
          }
        }, TICK_MS);
      }
      const deadline = Date.now() + o.readyTimeoutMs;
      while (Date.now() < deadline && !peers.every((p) => p.receivesAll(o.publishers))) {
        await sleep(100);
      }
      const notReady = peers.filter((p) => !p.receivesAll(o.publishers)).length;
      await sleep(o.warmupMs);
      const row = await measure(step, refused, notReady);
      rows.push(row);
      o.log(
        `${o.path} subs=${step} fwd=${Math.round(row.forwardedPps)}/s cpu=${row.nodeCpu.toFixed(2)} ` +
          `pkt/cpu-s=${Math.round(row.pktPerCpuS)} loss=${row.lossPct.toFixed(2)}% ` +
          `lagMax=${Math.round(row.lagMaxMs)}ms harness=${row.harnessCpu.toFixed(2)} notReady=${notReady} refused=${refused} ` +
          `send=${row.fastSend} batch=${row.sendBatchSize} sendErr=${row.sendErrors}`,
      );
      collapsed = row.lossPct > COLLAPSE_LOSS * 100 ? collapsed + 1 : 0;
      if (collapsed >= 2) break;
    }
  } finally {
    if (timer) clearInterval(timer);
    await Promise.all(peers.map((p) => p.close()));
    await node.stop();
    await edge.close();
  }
  return { rows, idleRssMb };

  async function addSubscribers(count: number, from: number) {
    let ok = 0;
    let refusedNow = 0;
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const i = from + next++;
        const sub = new BenchPeer(target, `sub-${i}`);
        try {
          await sub.join();
          peers.push(sub);
          ok++;
        } catch (error) {
          await sub.close();
          if (error instanceof Refused) refusedNow++;
          else o.log(`join sub-${i} failed: ${error instanceof Error ? error.message : error}`);
        }
      }
    };
    await Promise.all(Array.from({ length: o.joinConcurrency }, worker));
    return { ok, refused: refusedNow };
  }

  async function measure(step: number, refused: number, notReady: number): Promise<StepRow> {
    const before = await node.scrape(); // also resets the node's event-loop-lag histogram
    const cpu0 = node.cpuSeconds();
    const h0 = cpuSeconds(process.pid);
    for (const pub of publishers) sentInWindow[publishers.indexOf(pub)] = 0;
    for (const p of peers) if (p.tap) p.tap.inWindow = 0;
    const t0 = nowMs();
    tally.open(t0, t0 + o.measureMs);
    await sleep(o.measureMs);
    const wall = (nowMs() - t0) / 1000;
    const cpu = node.cpuSeconds() - cpu0;
    const harness = cpuSeconds(process.pid) - h0;
    const after = await node.scrape();
    const rss = node.rssBytes();
    await sleep(500); // packets sent at the end of the window still in flight
    const total = sentInWindow.reduce((a, b) => a + b, 0);
    let expected = 0;
    for (const p of peers) {
      expected += total - (p.publisher === undefined ? 0 : (sentInWindow[p.publisher] ?? 0));
    }
    const out = after.packetsOut - before.packetsOut;
    const delays = summarize(tally.delaysMs);
    return {
      path: o.path,
      subscribers: step,
      refused,
      notReady,
      forwardedPps: out / wall,
      deliveredPps: tally.received / wall,
      nodeCpu: cpu / wall,
      pktPerCpuS: cpu > 0 ? out / cpu : Number.NaN,
      lossPct: expected > 0 ? Math.max(0, (1 - tally.received / expected) * 100) : Number.NaN,
      delayP50Ms: delays.p50,
      delayP99Ms: delays.p99,
      lagP99Ms: after.lagP99Ms,
      lagMaxMs: after.lagMaxMs,
      nodeRssMb: rss / 1024 / 1024,
      harnessCpu: harness / wall,
      authFailures: tally.authFailures,
      forwarderPaths: Object.entries(after.forwarderPaths)
        .map(([k, v]) => `${k}:${v}`)
        .join(' '),
      srtpBackend: after.srtpBackend,
      fastSend: after.fastSend,
      sendBatchSize:
        after.sendBatches > before.sendBatches
          ? Math.round(
              ((after.sendDatagrams - before.sendDatagrams) /
                (after.sendBatches - before.sendBatches)) *
                10,
            ) / 10
          : 0,
      sendErrors: after.sendErrors - before.sendErrors,
    };
  }
}
