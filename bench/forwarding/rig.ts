/**
 * The forwarding benchmark's rig: a fake edge, one media node under test, publishers that send
 * at a fixed rate into one room and receive-only subscribers, plus measurement windows. Shared by
 * the capacity curve (run-mode.ts) and the steady-load soak (bench/soak.ts).
 *
 * With `rooms` > 1 every room has its own `publishers` publishers and subscribers are spread
 * round-robin over the rooms (rooms.ts); a receiver expects only its own room's streams.
 *
 * A window counts what was sent inside it and what every admitted receiver decrypted of that,
 * per cohort (the step a session was admitted at), so that the loss of the sessions admitted
 * before saturation can be told apart from the loss of the newest ones. Refused sessions are
 * never receivers: they are counted by refusal kind, not as loss.
 */
import { nodeApi } from '../../media-node/test/helpers/node-api.ts';
import { type FakeEdge, startFakeEdge } from '../../test/support/fake-edge.ts';
import { type CpuQuota, type CpuThrottle, throttleDelta } from '../lib/cgroup.ts';
import { cpuSeconds } from '../lib/proc.ts';
import { type Summary, summarize } from '../lib/stats.ts';
import { BenchPeer, Refused } from './bench-peer.ts';
import { type NodeScrape, type NodeUnderTest, startNode } from './node-under-test.ts';
import { nowMs } from './probe-payload.ts';
import { expectedPackets, publishersOf, roomName, roomOfSubscriber } from './rooms.ts';
import { ReceiveTally } from './rtp-tap.ts';

const SECRET = 'bench-forwarding-secret-0123456789';
/** Publishers tick every 20 ms: 50 audio + 50 video packets per second each. */
const TICK_MS = 20;
/** Packets sent at the end of a window still in flight when it closes. */
const DRAIN_MS = 500;
/** A receiver that got less than this share of its expected packets in a window is starved. */
const STARVED_SHARE = 0.5;

export interface RigOptions {
  env: Record<string, string>;
  /** Publishers per room. */
  publishers: number;
  /** Rooms (default 1), each with `publishers` publishers. */
  rooms?: number;
  joinConcurrency: number;
  /** `taskset -c` CPU list for the node (`0`, `0,1`); undefined: not pinned. */
  nodeCore: number | string | undefined;
  cpuQuota: CpuQuota | undefined;
  cpuProfileDir: string | undefined;
  log(line: string): void;
}

/** Receivers admitted at one step, over one window. */
export interface CohortTally {
  /** The step (offered subscriber count) they were admitted at; 0 = the publishers. */
  cohort: number;
  sessions: number;
  expected: number;
  received: number;
  /** Receivers with less than half their packets. */
  starved: number;
}

/** Receivers of one room over one window. */
export interface RoomTally {
  room: number;
  sessions: number;
  expected: number;
  received: number;
}

export interface WindowResult {
  wallS: number;
  nodeCpuS: number;
  harnessCpuS: number;
  /** Packets the node sent (its own counter). */
  packetsOut: number;
  /** Packets the publishers sent in the window (nominal: 100/s each; less if the harness lags). */
  sent: number;
  expected: number;
  received: number;
  cohorts: CohortTally[];
  rooms: RoomTally[];
  /**
   * Packets receivers got beyond what they should (duplicates or another room's streams), summed
   * over receivers; the loss figures net these against missing packets, so they are reported.
   */
  overDelivered: number;
  /** Receivers that have ever received a stream of a publisher outside their room. */
  crossRoom: number;
  /**
   * Packets receivers are missing, per (receiver, publisher) stream: unlike `expected - received`
   * extra packets on one stream (duplicates) cannot hide missing ones on another.
   */
  missing: number;
  /** Per publisher: packets its room's receivers should have got of it, and got. */
  byPublisher: Array<{ publisher: number; room: number; expected: number; received: number }>;
  delays: Summary;
  authFailures: number;
  before: NodeScrape;
  after: NodeScrape;
  rssBytes: number;
  /** Admitted peers whose connection is no longer `connected` (ICE consent or DTLS lost). */
  disconnected: number;
  /** Admitted sessions the node reported closed or failed, and its reasons. */
  endedByNode: number;
  endReasons: Record<string, number>;
  /** Publishers disconnected or ended: every receiver loses their streams. */
  publishersDown: number;
  /** Client-side connection states of the admitted peers (`connected: 140, failed: 2`). */
  states: Record<string, number>;
  /** Each publisher's client-side `connectionState/iceConnectionState`. */
  publisherStates: string[];
  /** cgroup throttling over the window, when the node has a CPU quota. */
  throttle: CpuThrottle | undefined;
}

export interface Rig {
  readonly node: NodeUnderTest;
  readonly edge: FakeEdge;
  readonly peers: readonly BenchPeer[];
  /** Refusals by kind (`503 capacity_exceeded retry-after=2`), cumulative. */
  readonly refusals: Map<string, number>;
  /** Node's RSS after start, before any session, bytes. */
  readonly rssIdleBytes: number;
  joinFailures: number;
  addPublishers(): Promise<void>;
  /** Joins `count` subscribers tagged with `cohort`; refused ones are counted, not kept. */
  addSubscribers(count: number, cohort: number): Promise<{ ok: number; refused: number }>;
  startMedia(): void;
  /** Waits until every peer receives every stream or the timeout; returns how many do not. */
  waitReady(timeoutMs: number): Promise<number>;
  measure(ms: number): Promise<WindowResult>;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startRig(o: RigOptions): Promise<Rig> {
  const edge = await startFakeEdge(SECRET, 1_000);
  let node: NodeUnderTest;
  try {
    node = await startNode({
      core: o.nodeCore,
      edge,
      secret: SECRET,
      env: { HEARTBEAT_INTERVAL_MS: '1000', DRAIN_TIMEOUT_MS: '1000', ...o.env },
      cpuProfileDir: o.cpuProfileDir,
      cpuQuota: o.cpuQuota,
    });
  } catch (error) {
    await edge.close();
    throw error;
  }
  const tally = new ReceiveTally();
  const rooms = o.rooms ?? 1;
  const api = nodeApi(node.url, SECRET, 'bench-node');
  const targets = Array.from({ length: rooms }, (_, r) => ({
    api,
    edge,
    room: roomName(r),
    tally,
  }));
  const peers: BenchPeer[] = [];
  const publishers: BenchPeer[] = [];
  /** Per global publisher index: packets sent in the window, and its room. */
  const sent: number[] = [];
  const publisherRoom: number[] = [];
  const roomOf = new Map<BenchPeer, number>();
  const streamsOf = Array.from({ length: rooms }, (_, r) => publishersOf(r, o.publishers));
  const receivesAll = (p: BenchPeer) => p.receivesAll(streamsOf[roomOf.get(p) ?? 0] ?? []);
  const refusals = new Map<string, number>();
  /** Sessions the node ended, with its reason (`connect_timeout`, `ice_failed`, ...). */
  const ended = new Map<string, string>();
  const offEnded = edge.onEvent((e) => {
    const over =
      e.type === 'closed' || (e.type === 'state' && (e.state === 'failed' || e.state === 'closed'));
    if (over && !ended.has(e.sessionId)) ended.set(e.sessionId, e.reason ?? e.type);
  });
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  let subIds = 0;

  const rig: Rig = {
    node,
    edge,
    peers,
    refusals,
    rssIdleBytes: node.rssBytes(),
    joinFailures: 0,
    async addPublishers() {
      for (let r = 0; r < rooms; r++) {
        for (const g of publishersOf(r, o.publishers)) {
          const pub = await joinPublisher(targets[r] as (typeof targets)[number], g, o.log);
          publishers.push(pub);
          peers.push(pub);
          roomOf.set(pub, r);
          sent[g] = 0;
          publisherRoom[g] = r;
        }
      }
    },
    async addSubscribers(count, cohort) {
      let ok = 0;
      let refused = 0;
      let next = 0;
      const worker = async () => {
        while (next < count) {
          next++;
          const i = subIds++;
          const r = roomOfSubscriber(i, rooms);
          const sub = new BenchPeer(targets[r] as (typeof targets)[number], `sub-${i}`);
          try {
            await sub.join();
            sub.cohort = cohort;
            roomOf.set(sub, r);
            peers.push(sub);
            ok++;
          } catch (error) {
            await sub.close();
            if (error instanceof Refused) {
              refused++;
              refusals.set(error.kind, (refusals.get(error.kind) ?? 0) + 1);
            } else {
              rig.joinFailures++;
              o.log(`join sub-${i} failed: ${error instanceof Error ? error.message : error}`);
            }
          }
        }
      };
      await Promise.all(Array.from({ length: o.joinConcurrency }, worker));
      return { ok, refused };
    },
    startMedia() {
      if (timer) return;
      timer = setInterval(() => {
        const t = nowMs();
        const inWindow = t >= tally.windowStartMs && t < tally.windowEndMs;
        for (const pub of publishers) {
          const n = pub.sendTick(t);
          const g = pub.publisher as number;
          if (inWindow) sent[g] = (sent[g] ?? 0) + n;
        }
      }, TICK_MS);
    },
    async waitReady(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline && !peers.every(receivesAll)) {
        await sleep(100);
      }
      return peers.filter((p) => !receivesAll(p)).length;
    },
    async measure(ms) {
      const before = await node.scrape(); // also resets the node's event-loop-lag histogram
      const throttle0 = node.cpuLimit?.throttle();
      const cpu0 = node.cpuSeconds();
      const h0 = cpuSeconds(process.pid);
      sent.fill(0);
      for (const p of peers) {
        if (p.tap) {
          p.tap.inWindow = 0;
          p.tap.inWindowBy.length = 0;
        }
      }
      const t0 = nowMs();
      tally.open(t0, t0 + ms);
      await sleep(ms);
      const wallS = (nowMs() - t0) / 1000;
      const nodeCpuS = node.cpuSeconds() - cpu0;
      const harnessCpuS = cpuSeconds(process.pid) - h0;
      const throttle1 = node.cpuLimit?.throttle();
      const after = await node.scrape();
      const rssBytes = node.rssBytes();
      await sleep(DRAIN_MS);
      const total = sent.reduce((a, b) => a + b, 0);
      const byCohort = new Map<number, CohortTally>();
      const byRoom = new Map<number, RoomTally>();
      let expected = 0;
      let overDelivered = 0;
      let crossRoom = 0;
      let missing = 0;
      const byPublisher = sent.map((_, g) => ({
        publisher: g,
        room: publisherRoom[g] ?? 0,
        expected: 0,
        received: 0,
      }));
      for (const p of peers) {
        const room = roomOf.get(p) ?? 0;
        for (const b of byPublisher) {
          if (b.room !== room || b.publisher === p.publisher) continue;
          const wantOf = sent[b.publisher] ?? 0;
          const gotOf = p.tap?.inWindowBy[b.publisher] ?? 0;
          b.expected += wantOf;
          b.received += gotOf;
          missing += Math.max(0, wantOf - gotOf);
        }
        const want = expectedPackets(sent, publisherRoom, room, p.publisher);
        const got = p.tap?.inWindow ?? 0;
        expected += want;
        overDelivered += Math.max(0, got - want);
        if ([...(p.tap?.seen ?? [])].some((k) => publisherRoom[k >> 1] !== room)) crossRoom++;
        const rt = byRoom.get(room) ?? { room, sessions: 0, expected: 0, received: 0 };
        rt.sessions++;
        rt.expected += want;
        rt.received += got;
        byRoom.set(room, rt);
        const c = byCohort.get(p.cohort) ?? {
          cohort: p.cohort,
          sessions: 0,
          expected: 0,
          received: 0,
          starved: 0,
        };
        c.sessions++;
        c.expected += want;
        c.received += got;
        if (got < want * STARVED_SHARE) c.starved++;
        byCohort.set(p.cohort, c);
      }
      return {
        wallS,
        nodeCpuS,
        harnessCpuS,
        packetsOut: after.packetsOut - before.packetsOut,
        sent: total,
        expected,
        received: tally.received,
        cohorts: [...byCohort.values()].sort((a, b) => a.cohort - b.cohort),
        rooms: [...byRoom.values()].sort((a, b) => a.room - b.room),
        overDelivered,
        crossRoom,
        byPublisher,
        missing,
        delays: summarize(tally.delaysMs),
        authFailures: tally.authFailures,
        before,
        after,
        rssBytes,
        disconnected: peers.filter((p) => p.pc.connectionState !== 'connected').length,
        endedByNode: peers.filter((p) => ended.has(p.id)).length,
        endReasons: countBy(peers.flatMap((p) => ended.get(p.id) ?? [])),
        publishersDown: publishers.filter(
          (p) => p.pc.connectionState !== 'connected' || ended.has(p.id),
        ).length,
        states: countStates(peers),
        publisherStates: publishers.map(
          (p) =>
            `${p.pc.connectionState}/${p.pc.iceConnectionState}${ended.has(p.id) ? '/ended' : ''}`,
        ),
        throttle: throttleDelta(throttle0, throttle1),
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      if (timer) clearInterval(timer);
      offEnded();
      await Promise.all(peers.map((p) => p.close()));
      await node.stop();
      await edge.close();
    },
  };
  return rig;
}

/** Publishers joins refused (the node's guard on a busy machine) are retried this often. */
const PUBLISHER_JOIN_ATTEMPTS = 5;

/**
 * Joins publisher `g`, retrying after a refusal (the node's overload guard refuses when its
 * event loop lags, which a loaded machine can cause at start): without publishers there is no
 * path to measure.
 */
async function joinPublisher(
  target: ConstructorParameters<typeof BenchPeer>[0],
  g: number,
  log: (line: string) => void,
): Promise<BenchPeer> {
  for (let attempt = 1; ; attempt++) {
    const pub = new BenchPeer(target, `pub-${g}`, g);
    try {
      await pub.join();
      return pub;
    } catch (error) {
      await pub.close();
      if (!(error instanceof Refused) || attempt >= PUBLISHER_JOIN_ATTEMPTS) throw error;
      log(`publisher ${g} refused (${error.kind}), retrying`);
      await sleep(Number(error.retryAfter ?? 1) * 1000);
    }
  }
}

/** Loss in percent of `received` against `expected` (NaN when nothing was expected). */
export function lossPct(expected: number, received: number): number {
  return expected > 0 ? Math.max(0, (1 - received / expected) * 100) : Number.NaN;
}

function countStates(peers: readonly BenchPeer[]): Record<string, number> {
  return countBy(peers.map((p) => p.pc.connectionState));
}

function countBy(items: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) out[item] = (out[item] ?? 0) + 1;
  return out;
}
