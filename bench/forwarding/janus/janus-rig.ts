/**
 * Janus 1.1 (Debian's `janus`, videoroom plugin) on the forwarding benchmark's workload: the
 * same werift publishers (probe-stamped audio + video at 50 + 50 pkt/s) and receive-only werift
 * subscribers whose SRTP is decrypted and counted by the same tap (rtp-tap.ts), Janus pinned and
 * CPU-limited like the media node. Must run inside janus-path.ts's network namespace, where the
 * only address is 127.0.0.1 (Janus would otherwise pick the machine's other interfaces).
 *
 * Signaling over Janus's HTTP API: one session, one videoroom room sized for the publishers; each
 * publisher `joinandconfigure`s with its offer, each subscriber joins as a subscriber of every
 * feed (one multistream handle) and answers Janus's offer with `start`.
 *
 * What differs from the media node's rig, and why the comparison uses delivered packets: Janus
 * has no forwarded-packet counter outside its admin API (off), so `packetsOut` is what the
 * receivers decrypted; publishers only publish (a Janus publisher would need a second handle to
 * receive), so each stream has N receivers here and N + publishers - 1 on the media node.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { withTimeout } from '../../../media-node/src/util/timers.ts';
import {
  createLoopbackPeer,
  waitForConnected,
  waitForGathering,
} from '../../../test/support/loopback-peer.ts';
import { createCpuLimit, throttleDelta } from '../../lib/cgroup.ts';
import { atExit, ownDir } from '../../lib/children.ts';
import { cpuSeconds, rssBytes } from '../../lib/proc.ts';
import { summarize } from '../../lib/stats.ts';
import { ProbeTracks, receivesAll } from '../bench-peer.ts';
import type { NodeScrape } from '../node-under-test.ts';
import { nowMs } from '../probe-payload.ts';
import type { CohortTally, RigOptions, WindowResult } from '../rig.ts';
import { publishersOf } from '../rooms.ts';
import { ReceiveTally, RtpTap } from '../rtp-tap.ts';
import type { MeasuredRig } from '../run-mode.ts';
import { JANUS_BIN, writeJanusConfig } from './config.ts';
import { JanusSession } from './janus-api.ts';

/** Any port: the namespace is ours. */
const HTTP_PORT = 8088;
const ROOM = 1234;
const TICK_MS = 20;
const DRAIN_MS = 500;
const STARVED_SHARE = 0.5;
const VIDEOROOM = 'janus.plugin.videoroom';

/** One werift peer of the Janus path: a publisher or a receive-only subscriber. */
class JanusPeer {
  readonly pc = createLoopbackPeer();
  readonly publisher: number | undefined;
  readonly tracks: ProbeTracks | undefined;
  cohort = 0;
  tap: RtpTap | undefined;
  handle = 0;

  constructor(publisher?: number) {
    this.publisher = publisher;
    if (publisher !== undefined) {
      this.tracks = new ProbeTracks(publisher);
      this.pc.addTransceiver(this.tracks.audio, { direction: 'sendonly' });
      this.pc.addTransceiver(this.tracks.video, { direction: 'sendonly' });
    }
  }

  async publish(s: JanusSession): Promise<void> {
    this.handle = await s.attach(VIDEOROOM);
    await this.pc.setLocalDescription(await this.pc.createOffer());
    await waitForGathering(this.pc);
    const e = await s.message(
      this.handle,
      { request: 'joinandconfigure', room: ROOM, ptype: 'publisher', id: feedOf(this) },
      { type: 'offer', sdp: this.pc.localDescription?.sdp ?? '' },
    );
    if (!e.jsep) throw new Error(`janus publisher ${this.publisher}: no answer`);
    await this.pc.setRemoteDescription(e.jsep);
    await s.trickleDone(this.handle);
    await waitForConnected(this.pc, 20_000);
  }

  async subscribe(s: JanusSession, feeds: number[], tally: ReceiveTally): Promise<void> {
    this.handle = await s.attach(VIDEOROOM);
    const e = await s.message(this.handle, {
      request: 'join',
      room: ROOM,
      ptype: 'subscriber',
      streams: feeds.map((feed) => ({ feed })),
    });
    if (!e.jsep) throw new Error('janus subscriber: no offer');
    await this.pc.setRemoteDescription(e.jsep);
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    await waitForGathering(this.pc);
    await s.message(
      this.handle,
      { request: 'start', room: ROOM },
      { type: 'answer', sdp: this.pc.localDescription?.sdp ?? '' },
    );
    await s.trickleDone(this.handle);
    await waitForConnected(this.pc, 20_000);
    this.tap = new RtpTap(this.pc, tally);
  }

  async close(): Promise<void> {
    await withTimeout(this.pc.close(), 2_000).catch(() => {});
  }
}

/** Janus feed ids start at 1 (0 means "pick one"). */
const feedOf = (p: JanusPeer) => (p.publisher ?? 0) + 1;

export async function startJanusRig(o: RigOptions): Promise<MeasuredRig> {
  if ((o.rooms ?? 1) !== 1) throw new Error('the janus path runs one room');
  const dir = ownDir(mkdtempSync(join(os.tmpdir(), 'bench-janus-')));
  const config = writeJanusConfig(dir, HTTP_PORT);
  const cpuLimit = o.cpuQuota
    ? createCpuLimit(`janus-bench-${process.pid}`, o.cpuQuota)
    : undefined;
  // setpriv --pdeathsig: Janus dies with this process even if it is SIGKILLed; taskset and
  // setpriv exec, so the PID is Janus's (the quota and /proc readings cover it).
  const janusArgs = [JANUS_BIN, `--configs-folder=${dir}`, `--config=${dir}/janus.jcfg`];
  const pinned =
    o.nodeCore === undefined ? janusArgs : ['taskset', '-c', String(o.nodeCore), ...janusArgs];
  const child: ChildProcess = spawn('setpriv', ['--pdeathsig', 'KILL', ...pinned], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error('janus did not start');
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let output = '';
  const keep = (c: Buffer) => {
    output = (output + c.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve();
    }),
  );
  const unregister = atExit(() => {
    if (!exit) child.kill('SIGKILL');
  });
  cpuLimit?.attach(pid);
  const stopJanus = async () => {
    if (!exit) child.kill('SIGTERM');
    const done = await Promise.race([exited.then(() => true), sleep(5_000).then(() => false)]);
    if (!done) {
      child.kill('SIGKILL');
      await Promise.race([exited, sleep(5_000)]);
    }
    unregister();
    cpuLimit?.remove();
  };

  let session: JanusSession;
  try {
    session = await waitForJanus(
      config.url,
      () => exit !== undefined,
      () => output,
    );
    const admin = await session.attach(VIDEOROOM);
    await session.request(admin, {
      request: 'create',
      room: ROOM,
      publishers: o.publishers,
      bitrate: 0,
      fir_freq: 0,
      audiocodec: 'opus',
      videocodec: 'vp8',
      notify_joining: false,
    });
  } catch (error) {
    await stopJanus();
    throw error;
  }

  const tally = new ReceiveTally();
  const peers: JanusPeer[] = [];
  const publishers: JanusPeer[] = [];
  const sent: number[] = [];
  const feeds = publishersOf(0, o.publishers);
  const refusals = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const rssIdle = rssBytes(pid);

  const rig: MeasuredRig = {
    node: { cpuLimit, rssBytes: () => rssBytes(pid), exit: () => exit },
    peers,
    refusals,
    rssIdleBytes: rssIdle,
    joinFailures: 0,
    async addPublishers() {
      for (const g of feeds) {
        const pub = new JanusPeer(g);
        await pub.publish(session);
        publishers.push(pub);
        peers.push(pub);
        sent[g] = 0;
      }
    },
    async addSubscribers(count, cohort) {
      let ok = 0;
      let next = 0;
      const worker = async () => {
        while (next < count) {
          next++;
          const sub = new JanusPeer();
          try {
            await sub.subscribe(
              session,
              feeds.map((g) => g + 1),
              tally,
            );
            sub.cohort = cohort;
            peers.push(sub);
            ok++;
          } catch (error) {
            await sub.close();
            rig.joinFailures++;
            o.log(`janus subscriber failed: ${error instanceof Error ? error.message : error}`);
          }
        }
      };
      await Promise.all(Array.from({ length: o.joinConcurrency }, worker));
      return { ok, refused: 0 };
    },
    startMedia() {
      if (timer) return;
      timer = setInterval(() => {
        const t = nowMs();
        const inWindow = t >= tally.windowStartMs && t < tally.windowEndMs;
        for (const pub of publishers) {
          const n = pub.tracks?.sendTick(t) ?? 0;
          const g = pub.publisher as number;
          if (inWindow) sent[g] = (sent[g] ?? 0) + n;
        }
      }, TICK_MS);
    },
    async waitReady(timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      const ready = (p: JanusPeer) =>
        p.publisher !== undefined || receivesAll(p.tap?.seen, feeds, undefined);
      while (Date.now() < deadline && !peers.every(ready)) await sleep(100);
      return peers.filter((p) => !ready(p)).length;
    },
    async measure(ms) {
      const throttle0 = cpuLimit?.throttle();
      const cpu0 = cpuSeconds(pid);
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
      const nodeCpuS = cpuSeconds(pid) - cpu0;
      const harnessCpuS = cpuSeconds(process.pid) - h0;
      const throttle1 = cpuLimit?.throttle();
      const rss = rssBytes(pid);
      await sleep(DRAIN_MS);
      return windowResult({
        peers,
        publishers,
        sent,
        tally,
        wallS,
        nodeCpuS,
        harnessCpuS,
        rss,
        throttle: throttleDelta(throttle0, throttle1),
      });
    },
    async close() {
      if (closed) return;
      closed = true;
      if (timer) clearInterval(timer);
      await Promise.all(peers.map((p) => p.close()));
      await withTimeout(session.destroy(), 3_000).catch(() => {});
      await stopJanus();
      if (exit && exit.code !== 0 && exit.signal !== 'SIGTERM') {
        o.log(`janus exited with ${exit.code ?? exit.signal}:\n${output.trim().slice(-1500)}`);
      }
    },
  };
  return rig;
}

/** A window's tally in the media node rig's terms (subscribers are the only receivers). */
function windowResult(w: {
  peers: JanusPeer[];
  publishers: JanusPeer[];
  sent: number[];
  tally: ReceiveTally;
  wallS: number;
  nodeCpuS: number;
  harnessCpuS: number;
  rss: number;
  throttle: WindowResult['throttle'];
}): WindowResult {
  const total = w.sent.reduce((a, b) => a + b, 0);
  const receivers = w.peers.filter((p) => p.publisher === undefined);
  const byCohort = new Map<number, CohortTally>();
  const byPublisher = w.sent.map((_, g) => ({ publisher: g, room: 0, expected: 0, received: 0 }));
  let expected = 0;
  let missing = 0;
  let overDelivered = 0;
  for (const p of receivers) {
    for (const b of byPublisher) {
      const want = w.sent[b.publisher] ?? 0;
      const got = p.tap?.inWindowBy[b.publisher] ?? 0;
      b.expected += want;
      b.received += got;
      missing += Math.max(0, want - got);
    }
    const got = p.tap?.inWindow ?? 0;
    expected += total;
    overDelivered += Math.max(0, got - total);
    const c = byCohort.get(p.cohort) ?? {
      cohort: p.cohort,
      sessions: 0,
      expected: 0,
      received: 0,
      starved: 0,
    };
    c.sessions++;
    c.expected += total;
    c.received += got;
    if (got < total * STARVED_SHARE) c.starved++;
    byCohort.set(p.cohort, c);
  }
  const scrape = (packetsOut: number): NodeScrape => ({
    packetsOut,
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
    srtpBackend: 'janus',
    fastSend: 'janus',
    sendBatches: 0,
    sendDatagrams: 0,
    sendErrors: 0,
  });
  const states: Record<string, number> = {};
  for (const p of w.peers) states[p.pc.connectionState] = (states[p.pc.connectionState] ?? 0) + 1;
  return {
    wallS: w.wallS,
    nodeCpuS: w.nodeCpuS,
    harnessCpuS: w.harnessCpuS,
    // Janus's own counters are in its admin API (off): what the receivers decrypted.
    packetsOut: w.tally.received,
    sent: total,
    expected,
    received: w.tally.received,
    cohorts: [...byCohort.values()].sort((a, b) => a.cohort - b.cohort),
    rooms: [{ room: 0, sessions: receivers.length, expected, received: w.tally.received }],
    overDelivered,
    crossRoom: 0,
    missing,
    byPublisher,
    delays: summarize(w.tally.delaysMs),
    authFailures: w.tally.authFailures,
    before: scrape(0),
    after: scrape(w.tally.received),
    rssBytes: w.rss,
    disconnected: w.peers.filter((p) => p.pc.connectionState !== 'connected').length,
    endedByNode: 0,
    endReasons: {},
    publishersDown: w.publishers.filter((p) => p.pc.connectionState !== 'connected').length,
    states,
    publisherStates: w.publishers.map((p) => `${p.pc.connectionState}/${p.pc.iceConnectionState}`),
    throttle: w.throttle,
  };
}

/** Creates the bench's session once Janus answers (it takes a moment to load its plugin). */
async function waitForJanus(
  url: string,
  exited: () => boolean,
  output: () => string,
): Promise<JanusSession> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (exited()) throw new Error(`janus exited at start:\n${output().slice(-1500)}`);
    try {
      return await JanusSession.create(url);
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`janus did not answer on ${url}: ${error}\n${output().slice(-1500)}`);
      }
      await sleep(200);
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
