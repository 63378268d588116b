/**
 * Signaling throughput of the edge in workerd (the runtime `npm start` uses), c=100, per route:
 * create, get, list, trickle a candidate, delete; against a baseline route calling a trivial
 * Durable Object (and one doing one SQLite write) served by the same workerd process, in the
 * same run; with SHARD_COUNT=1 and 32. Every row carries the CPU of workerd and of the load
 * generator (its own process) over the same window.
 *
 *   npm run bench:signaling [-- --seconds 6 --connections 100 --shards 1,32 --storage memory|disk]
 *
 * Storage: the Durable Objects' SQLite files go to tmpfs (/dev/shm) by default, so the figures
 * show the runtime's and the edge's CPU cost; on this VM's disk every commit waits for fsync,
 * which caps writes far below that (`--storage disk` measures it, as `npm start` stores).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API_BASE } from '../shared/api.ts';
import { listOption, numberOption, option } from './lib/args.ts';
import { ownDir } from './lib/children.ts';
import { CpuMeter } from './lib/proc.ts';
import { printTable, writeResults } from './lib/results.ts';
import { ratio } from './lib/stats.ts';
import { buildBenchWorkers } from './signaling/bench-edge.ts';
import { countWarnings } from './signaling/edge-warnings.ts';
import type { LoadSpec } from './signaling/load-spec.ts';
import { type MeteredLoad, runLoad } from './signaling/run-load.ts';
import { seedSessions } from './signaling/seed.ts';
import { startSignalingTarget } from './signaling/target.ts';
import { runWrk, type WrkResult, wrkAvailable } from './signaling/wrk.ts';

const argv = process.argv.slice(2);
const SECONDS = numberOption(argv, 'seconds', 6);
const CONNECTIONS = numberOption(argv, 'connections', 100);
const SHARDS = listOption(argv, 'shards', [1, 32]);
/** Sessions in `negotiating` for the candidate run: 50 candidates each. */
const ICE_POOL = numberOption(argv, 'ice-pool', 1200);
const READER_SESSIONS = 64;
const STORAGE = option(argv, 'storage') ?? 'memory';
if (STORAGE !== 'memory' && STORAGE !== 'disk') throw new Error('--storage must be memory or disk');
const STORAGE_BASE = STORAGE === 'memory' && existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
const CANDIDATE = {
  candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host',
  sdpMid: '0',
  sdpMLineIndex: 0,
};

interface Row {
  shards: number;
  route: string;
  load: MeteredLoad;
}

const workDir = ownDir(await mkdtemp(join(STORAGE_BASE, 'bench-signaling-')));
const rows: Row[] = [];
/** The edge's warn/error log lines per shard configuration, by event and reason. */
const edgeWarnings: Record<string, Record<string, number>> = {};
/** wrk on the same routes, when installed: shows whether autocannon limited the figures. */
const crossChecks: Array<{
  shards: number;
  route: string;
  wrk: WrkResult;
  workerdCpuSeconds: number;
}> = [];
const WRK = wrkAvailable();

async function runShardConfig(shards: number, edgeDist: string): Promise<void> {
  const { workerd, edgeUrl, baseUrl, node, runDir, token, stop } = await startSignalingTarget({
    workDir,
    edgeDist,
    shards,
  });
  try {
    const reader = await token('bench-reader');
    const creator = await token('bench-creator');
    const ice = await token('bench-ice');
    const readerIds = await seedSessions(edgeUrl, reader, READER_SESSIONS, true);

    const metered = { workerd: workerd.pid, 'fake-node+runner': process.pid };
    const auth = (t: string) => ({ authorization: `Bearer ${t}` });
    const json = { 'content-type': 'application/json' };
    const base = { connections: CONNECTIONS, durationSeconds: SECONDS };
    const step = async (
      route: string,
      origin: string,
      spec: Omit<LoadSpec, 'origin' | 'connections' | 'durationSeconds'>,
      record = true,
    ) => {
      const load = await runLoad({ origin, ...base, ...spec }, metered, runDir, route);
      if (record) rows.push({ shards, route, load });
      console.log(
        `  shards=${shards} ${route}: ${Math.round(load.reqPerSec)} req/s, p99 ${load.latencyMs.p99} ms, non-2xx ${load.non2xx}` +
          (load.non2xx > 0 ? ` (status ${JSON.stringify(load.statusCodes)})` : ''),
      );
      return load;
    };
    const sessions = `${API_BASE}/sessions`;
    // Warm-up (JIT, connections, SQLite pages); not recorded.
    await step(
      'warm-up',
      edgeUrl,
      { method: 'GET', paths: readerIds.map((id) => `${sessions}/${id}`), headers: auth(reader) },
      false,
    );
    await step('baseline: route -> DO', baseUrl, { method: 'GET', paths: ['/do'], headers: {} });
    await step('baseline: route -> DO + SQLite write', baseUrl, {
      method: 'GET',
      paths: ['/do-write'],
      headers: {},
    });
    if (WRK && shards === SHARDS[0]) {
      const checks: Array<[string, string, Record<string, string>]> = [
        ['baseline: route -> DO', `${baseUrl}/do`, {}],
        ['get session', `${edgeUrl}${sessions}/${readerIds[0]}`, auth(reader)],
      ];
      for (const [route, url, headers] of checks) {
        const meter = new CpuMeter(workerd.pid);
        meter.start();
        const wrk = await runWrk({ url, headers, connections: CONNECTIONS, seconds: SECONDS });
        crossChecks.push({ shards, route, wrk, workerdCpuSeconds: meter.stop().cpuSeconds });
        console.log(`  shards=${shards} ${route} (wrk): ${Math.round(wrk.reqPerSec)} req/s`);
      }
    }
    await step('baseline: JWT verify + route -> DO', baseUrl, {
      method: 'GET',
      paths: ['/do-auth'],
      headers: auth(reader),
    });
    // The edge's Hono app, request log line and metrics, without auth or any Durable Object.
    await step('edge: GET /healthz (no auth, no DO)', edgeUrl, {
      method: 'GET',
      paths: ['/healthz'],
      headers: {},
    });
    const idsFile = join(runDir, 'created-ids.txt');
    await step('create session', edgeUrl, {
      method: 'POST',
      paths: [sessions],
      headers: { ...auth(creator), ...json },
      body: '{}',
      collectSessionIdsTo: idsFile,
    });
    await step('get session', edgeUrl, {
      method: 'GET',
      paths: readerIds.map((id) => `${sessions}/${id}`),
      headers: auth(reader),
    });
    await step('list sessions (limit 20)', edgeUrl, {
      method: 'GET',
      paths: [`${sessions}?limit=20`],
      headers: auth(reader),
    });
    // Seeded just before: a session still negotiating after CONNECT_TIMEOUT_MS (60 s) fails.
    const iceIds = await seedSessions(edgeUrl, ice, ICE_POOL, true);
    await step('post candidate', edgeUrl, {
      method: 'POST',
      paths: iceIds.map((id) => `${sessions}/${id}/candidates`),
      headers: { ...auth(ice), ...json },
      body: JSON.stringify({ candidates: [CANDIDATE] }),
    });
    const created = (await readFile(idsFile, 'utf8')).split('\n').filter(Boolean);
    // One DELETE per session the create run made, so none hits an already-closed session.
    await step('delete session', edgeUrl, {
      method: 'DELETE',
      paths: created.map((id) => `${sessions}/${id}`),
      headers: auth(creator),
      amount: created.length,
    });
    console.log(
      `  fake node answered: ${JSON.stringify(Object.fromEntries(node.counts))} on ${node.connections()} connections`,
    );
  } finally {
    await stop();
    const log = await readFile(join(runDir, 'workerd.log'), 'utf8').catch(() => '');
    const warnings = countWarnings(log);
    edgeWarnings[`shards=${shards}`] = warnings;
    if (Object.keys(warnings).length > 0)
      console.log(`  edge warnings: ${JSON.stringify(warnings)}`);
  }
}

try {
  console.log(
    `signaling benchmark: c=${CONNECTIONS}, ${SECONDS} s per route, shards ${SHARDS.join(', ')}`,
  );
  const { edgeDist } = await buildBenchWorkers(workDir);
  for (const shards of SHARDS) await runShardConfig(shards, edgeDist);

  const table = rows.map((r) => {
    const baseline = rows.find((b) => b.shards === r.shards && b.route === 'baseline: route -> DO');
    const d = r.load.durationSeconds || 1;
    return {
      shards: r.shards,
      route: r.route,
      'req/s': Math.round(r.load.reqPerSec),
      'p50 ms': r.load.latencyMs.p50,
      'p99 ms': r.load.latencyMs.p99,
      'max ms': r.load.latencyMs.max,
      'non-2xx': r.load.non2xx + r.load.errors,
      'x baseline': ratio(r.load.reqPerSec, baseline?.load.reqPerSec ?? Number.NaN),
      'workerd cpu': Math.round(((r.load.serverCpuSeconds.workerd ?? 0) / d) * 100) / 100,
      'generator cpu': Math.round((r.load.generatorCpuSeconds / d) * 100) / 100,
      'fake node cpu':
        Math.round(((r.load.serverCpuSeconds['fake-node+runner'] ?? 0) / d) * 100) / 100,
    };
  });
  printTable(
    `Signaling throughput, c=${CONNECTIONS}, ${SECONDS} s per route (cpu = cores busy on average)`,
    table,
  );
  if (crossChecks.length > 0) {
    printTable(
      'Load generator cross-check: the same routes driven by wrk (C) instead of autocannon (Node)',
      crossChecks.map((c) => {
        const a = rows.find((r) => r.shards === c.shards && r.route === c.route);
        return {
          shards: c.shards,
          route: c.route,
          'autocannon req/s': Math.round(a?.load.reqPerSec ?? Number.NaN),
          'wrk req/s': Math.round(c.wrk.reqPerSec),
          'wrk/autocannon': ratio(c.wrk.reqPerSec, a?.load.reqPerSec ?? Number.NaN),
          'wrk p99 ms': c.wrk.latencyMs.p99,
          'wrk cpu': Math.round((c.wrk.generatorCpuSeconds / SECONDS) * 100) / 100,
          'workerd cpu': Math.round((c.workerdCpuSeconds / SECONDS) * 100) / 100,
        };
      }),
    );
  }
  const path = writeResults('signaling', {
    parameters: {
      seconds: SECONDS,
      connections: CONNECTIONS,
      shards: SHARDS,
      icePool: ICE_POOL,
      readerSessions: READER_SESSIONS,
      storage: `${STORAGE} (${STORAGE_BASE})`,
      runtime: 'workerd serve (same bundle and config as npm start)',
      loadGenerator: 'autocannon 9 in its own Node process',
    },
    summary: table,
    raw: rows,
    wrkCrossCheck: crossChecks,
    edgeWarnings,
  });
  console.log(`\nwrote ${path}`);
} finally {
  // --keep leaves workerd's log and the load specs for a post-mortem.
  if (argv.includes('--keep')) console.log(`work dir kept: ${workDir}`);
  else await rm(workDir, { recursive: true, force: true });
}
