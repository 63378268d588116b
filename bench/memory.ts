/**
 * Memory of one media node: RSS and heap per idle connected session (0 -> 50 -> 100 sessions),
 * and leaks over many create -> connect -> close cycles (heap, RSS and open handles before and
 * after, each after a full GC through the node's inspector; media_active_sessions back to 0).
 * The node is driven through its signed internal API as the edge drives it (a fake edge takes
 * its heartbeats and events), so only the node's memory is in the figures.
 *
 *   npm run bench:memory [-- --cycles 2000 --concurrency 16 --idle 50,100]
 * The record in BENCHMARKS.md used --cycles 10000.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeApi } from '../media-node/test/helpers/node-api.ts';
import { readDevVars } from '../scripts/stack/dev-vars.ts';
import { nodeIdFor, startMediaNode } from '../scripts/stack/media-node.ts';
import { ROOT } from '../scripts/stack/stack.ts';
import { waitFor, waitHttpOk } from '../scripts/stack/wait.ts';
import { startFakeEdge } from '../test/support/fake-edge.ts';
import { freePorts } from '../test/support/free-port.ts';
import { parseMetrics, sampleValue } from '../test/support/prometheus.ts';
import { listOption, numberOption } from './lib/args.ts';
import { own, ownDir } from './lib/children.ts';
import { runPool } from './lib/pool.ts';
import { printTable, writeResults } from './lib/results.ts';
import { inspectMemory, type MemorySnapshot } from './memory/inspector.ts';
import { type DirectSession, openDirectSession } from './setup/direct-session.ts';

const argv = process.argv.slice(2);
const CYCLES = numberOption(argv, 'cycles', 2_000);
const CONCURRENCY = numberOption(argv, 'concurrency', 16);
const IDLE_STEPS = listOption(argv, 'idle', [50, 100]);
/** Cycles run before the "before" snapshot: JIT, pools and lazy state are not leaks. */
const WARM_UP_CYCLES = 100;
/** werift releases a closed transport's sockets a few seconds after close(). */
const SETTLE_MS = 6_000;
const MB = 1024 * 1024;

const secrets = readDevVars(join(ROOT, '.dev.vars'));
const secret = secrets.NODE_SHARED_SECRET ?? '';
const workDir = ownDir(await mkdtemp(join(tmpdir(), 'bench-memory-')));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Snapshot extends MemorySnapshot {
  label: string;
  activeSessions: number;
}

const edge = await startFakeEdge(secret);
const [port = 0, inspectPort = 0] = await freePorts(2);
const node = own(
  startMediaNode({
    root: ROOT,
    host: '127.0.0.1',
    port,
    edgeUrl: edge.url,
    sharedSecret: secret,
    log: { file: join(workDir, 'node.log') },
    // Sessions on the main thread (WORKERS=0): the inspector sees one isolate, so heap and
    // handles per session are the sessions' own. Worker threads add a fixed cost per worker, not
    // per session (BENCHMARKS.md section 4).
    env: {
      NODE_OPTIONS: `--inspect=127.0.0.1:${inspectPort}`,
      MAX_SESSIONS: '1000',
      WORKERS: '0',
    },
  }),
);
const url = `http://127.0.0.1:${port}`;
const api = nodeApi(url, secret, nodeIdFor(port));
let sessionSeq = 0;
const open = () => openDirectSession(api, edge, `mem-${sessionSeq++}`);

async function activeSessions(): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return sampleValue(parseMetrics(text), 'media_active_sessions');
}

async function snapshot(label: string): Promise<Snapshot> {
  const s = await inspectMemory(inspectPort);
  return { label, activeSessions: await activeSessions(), ...s };
}

async function cycles(count: number): Promise<{ failed: number; seconds: number }> {
  let failed = 0;
  const t0 = performance.now();
  await runPool(count, CONCURRENCY, async () => {
    try {
      const s = await open();
      await s.close();
    } catch {
      failed += 1;
    }
  });
  return { failed, seconds: (performance.now() - t0) / 1000 };
}

async function drained(): Promise<void> {
  await waitFor(
    'media_active_sessions back to 0',
    async () => ((await activeSessions()) === 0 ? true : undefined),
    {
      timeoutMs: 30_000,
      intervalMs: 250,
    },
  );
  await sleep(SETTLE_MS);
}

const mb = (b: number) => Math.round((b / MB) * 100) / 100;
const row = (s: Snapshot) => ({
  point: s.label,
  'active sessions': s.activeSessions,
  'rss MB': mb(s.rssBytes),
  'heap used MB': mb(s.heapUsedBytes),
  'external MB': mb(s.externalBytes),
  handles: s.handleCount,
  'UDP sockets': s.handles.UDPWrap ?? 0,
  timers: s.handles.Timeout ?? 0,
});

try {
  await waitHttpOk(`${url}/healthz`, {
    timeoutMs: 20_000,
    abort: () => (node.running ? undefined : 'node exited'),
  });
  console.log(
    `memory: idle sessions ${IDLE_STEPS.join(', ')}; ${CYCLES} cycles, ${CONCURRENCY} at a time`,
  );

  // Idle sessions: each connected, no media, held open.
  await cycles(10);
  await drained();
  const idle: Snapshot[] = [await snapshot('0 idle sessions')];
  const held: DirectSession[] = [];
  for (const target of IDLE_STEPS) {
    const more = await runPool(target - held.length, 10, () => open());
    held.push(...more);
    await sleep(2_000);
    idle.push(await snapshot(`${target} idle sessions`));
  }
  await runPool(held.length, 10, (i) => held[i]?.close() ?? Promise.resolve());
  await drained();

  // Cycles.
  await cycles(WARM_UP_CYCLES);
  await drained();
  const before = await snapshot(`before ${CYCLES} cycles (after ${WARM_UP_CYCLES} warm-up)`);
  const run = await cycles(CYCLES);
  await drained();
  const after = await snapshot(`after ${CYCLES} cycles (+${SETTLE_MS / 1000} s, GC)`);

  const base = idle[0] as Snapshot;
  const perSession = idle.slice(1).map((s) => {
    const n = s.activeSessions - base.activeSessions || 1;
    return {
      sessions: s.activeSessions,
      'rss KB/session': Math.round((s.rssBytes - base.rssBytes) / n / 1024),
      'heap KB/session': Math.round((s.heapUsedBytes - base.heapUsedBytes) / n / 1024),
      'external KB/session': Math.round((s.externalBytes - base.externalBytes) / n / 1024),
      'handles/session': Math.round(((s.handleCount - base.handleCount) / n) * 10) / 10,
    };
  });
  const cycleSummary = {
    cycles: CYCLES,
    concurrency: CONCURRENCY,
    failed: run.failed,
    'cycles/s': Math.round((CYCLES / run.seconds) * 10) / 10,
    'heap delta MB': mb(after.heapUsedBytes - before.heapUsedBytes),
    'rss delta MB': mb(after.rssBytes - before.rssBytes),
    'handles delta': after.handleCount - before.handleCount,
    'active sessions after': after.activeSessions,
  };
  printTable('Memory of one media node (after a full GC)', [...idle, before, after].map(row));
  printTable('Per idle connected session (vs 0 sessions)', perSession);
  printTable('create -> connect -> close cycles', [cycleSummary]);
  const path = writeResults('memory', {
    parameters: {
      cycles: CYCLES,
      concurrency: CONCURRENCY,
      idleSteps: IDLE_STEPS,
      warmUpCycles: WARM_UP_CYCLES,
      settleMs: SETTLE_MS,
      driver:
        'signed internal API (as the edge), fake edge, werift loopback clients with audio+video transceivers, no media',
    },
    summary: { perSession, cycles: cycleSummary },
    raw: { idle, before, after, cycleSeconds: run.seconds },
  });
  console.log(`\nwrote ${path}`);
} finally {
  await node.stop('SIGTERM', 10_000);
  await edge.close();
  if (argv.includes('--keep')) console.log(`logs kept in ${workDir}`);
  else await rm(workDir, { recursive: true, force: true });
}
