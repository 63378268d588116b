/**
 * Signaling throughput of the edge in workerd (the runtime `npm start` uses), c=100, per route:
 * create, get, list, trickle a candidate, delete; against a baseline route calling a trivial
 * Durable Object (and one doing one SQLite write) served by the same workerd process, in the
 * same run; with SHARD_COUNT=1 and 32. Every row carries the CPU of workerd and of the load
 * generator (its own process) over the same window.
 *
 *   npm run bench:signaling [-- --seconds 6 --connections 100 --shards 1,32 --storage disk,memory]
 *                           [--routes create,get]   (only the routes whose name contains one)
 *
 * The create run also prints the calls it caused into the one NodeRegistry object, per create
 * (`media_edge_registry_calls_total`): placement reads a node directory each room placer pulls
 * at most every NODE_DIRECTORY_MAX_AGE_MS, so at steady state this stays far below 0.05.
 *
 * Storage: both by default. `disk`: the Durable Objects' SQLite files on the machine's disk, as
 * `npm start` stores them (every commit waits for an fsync); `memory`: on tmpfs (/dev/shm), so
 * the figures show the runtime's and the edge's CPU cost. Every figure is read as a ratio to the
 * baselines of the same storage and shard count, measured in the same run (`targets` table).
 * With `hey` installed, the guide's own line is run too (disk, 32 shards: what `npm start` runs).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os, { tmpdir } from 'node:os';
import { join } from 'node:path';
import { API_BASE } from '../shared/api.ts';
import { listOption, numberOption, option } from './lib/args.ts';
import { ownDir } from './lib/children.ts';
import { CpuMeter } from './lib/proc.ts';
import { machineInfo, printTable, writeResults } from './lib/results.ts';
import { ratio } from './lib/stats.ts';
import { buildBenchWorkers } from './signaling/bench-edge.ts';
import { countWarnings } from './signaling/edge-warnings.ts';
import { type HeyResult, heyAvailable, runHey } from './signaling/hey.ts';
import type { LoadSpec } from './signaling/load-spec.ts';
import { perCreate, readCreateCounters } from './signaling/registry-calls.ts';
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
const STORAGES = (option(argv, 'storage') ?? 'disk,memory').split(',');
/** Routes run (substrings of their names); every one by default. Baselines always run. */
const ROUTES = option(argv, 'routes')?.split(',');
const wanted = (route: string) =>
  route.startsWith('baseline') || !ROUTES || ROUTES.some((r) => route.includes(r));
for (const s of STORAGES) {
  if (s !== 'memory' && s !== 'disk') throw new Error('--storage must list memory and/or disk');
}
const storageBase = (storage: string) =>
  storage === 'memory' && existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
const HEY = heyAvailable();
const CANDIDATE = {
  candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host',
  sdpMid: '0',
  sdpMLineIndex: 0,
};

interface Row {
  storage: string;
  shards: number;
  route: string;
  load: MeteredLoad;
}

const workDirs: string[] = [];
const rows: Row[] = [];
/** Calls into the NodeRegistry object caused by the create run, per create. */
const registryPerCreate: Array<{
  storage: string;
  shards: number;
  calls: number;
  creates: number;
  byOp: Record<string, number>;
  perCreate: number;
}> = [];
const heyRuns: Array<{ storage: string; shards: number; sessions: number; hey: HeyResult }> = [];
/** The edge's warn/error log lines per shard configuration, by event and reason. */
const edgeWarnings: Record<string, Record<string, number>> = {};
/** wrk on the same routes, when installed: shows whether autocannon limited the figures. */
const crossChecks: Array<{
  storage: string;
  shards: number;
  route: string;
  wrk: WrkResult;
  workerdCpuSeconds: number;
}> = [];
const WRK = wrkAvailable();

async function runShardConfig(
  storage: string,
  workDir: string,
  shards: number,
  edgeDist: string,
): Promise<void> {
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
      if (!wanted(route)) return undefined;
      const load = await runLoad({ origin, ...base, ...spec }, metered, runDir, route);
      if (record) rows.push({ storage, shards, route, load });
      console.log(
        `  ${storage} shards=${shards} ${route}: ${Math.round(load.reqPerSec)} req/s, p99 ${load.latencyMs.p99} ms, non-2xx ${load.non2xx}` +
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
    if (WRK && shards === SHARDS[0] && storage === STORAGES[0]) {
      const checks: Array<[string, string, Record<string, string>]> = [
        ['baseline: route -> DO', `${baseUrl}/do`, {}],
        ['get session', `${edgeUrl}${sessions}/${readerIds[0]}`, auth(reader)],
      ];
      for (const [route, url, headers] of checks) {
        const meter = new CpuMeter(workerd.pid);
        meter.start();
        const wrk = await runWrk({ url, headers, connections: CONNECTIONS, seconds: SECONDS });
        crossChecks.push({
          storage,
          shards,
          route,
          wrk,
          workerdCpuSeconds: meter.stop().cpuSeconds,
        });
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
    const admin = await token('bench-admin', true);
    const countersBefore = await readCreateCounters(edgeUrl, admin);
    const createLoad = await step('create session', edgeUrl, {
      method: 'POST',
      paths: [sessions],
      headers: { ...auth(creator), ...json },
      body: '{}',
      collectSessionIdsTo: idsFile,
    });
    if (createLoad) {
      const calls = perCreate(countersBefore, await readCreateCounters(edgeUrl, admin));
      registryPerCreate.push({ storage, shards, ...calls });
      console.log(
        `  ${storage} shards=${shards} registry calls per create: ${calls.perCreate.toFixed(4)} (${calls.calls} calls ${JSON.stringify(calls.byOp)} for ${calls.creates} creates)`,
      );
    }
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
    if (HEY && wanted('hey') && storage === 'disk' && shards === Math.max(...SHARDS)) {
      // The guide's line, as a new user runs it against `npm start` (disk, 32 shards).
      const hey = await runHey({
        url: `${edgeUrl}${sessions}`,
        token: reader,
        requests: 10_000,
        connections: CONNECTIONS,
      });
      heyRuns.push({ storage, shards, sessions: READER_SESSIONS, hey });
      console.log(
        `  ${storage} shards=${shards} hey -n 10000 -c ${CONNECTIONS} GET ${sessions}: ${Math.round(hey.reqPerSec)} req/s, p99 ${hey.p99Ms} ms, ${JSON.stringify(hey.statuses)}`,
      );
    }
    // Seeded just before: a session still negotiating after CONNECT_TIMEOUT_MS (60 s) fails.
    const iceIds = wanted('post candidate') ? await seedSessions(edgeUrl, ice, ICE_POOL, true) : [];
    await step('post candidate', edgeUrl, {
      method: 'POST',
      paths: iceIds.map((id) => `${sessions}/${id}/candidates`),
      headers: { ...auth(ice), ...json },
      body: JSON.stringify({ candidates: [CANDIDATE] }),
    });
    const created = (await readFile(idsFile, 'utf8').catch(() => '')).split('\n').filter(Boolean);
    // One DELETE per session the create run made, so none hits an already-closed session.
    if (!wanted('delete session')) {
      // not asked for
    } else if (created.length < CONNECTIONS) {
      console.log(`  delete session skipped: only ${created.length} sessions were created`);
    } else
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
    edgeWarnings[`${storage} shards=${shards}`] = warnings;
    if (Object.keys(warnings).length > 0)
      console.log(`  edge warnings: ${JSON.stringify(warnings)}`);
  }
}

/** The row of `route` in the same storage and shard configuration as `r`. */
function sibling(r: { storage: string; shards: number }, route: string): Row | undefined {
  return rows.find((b) => b.storage === r.storage && b.shards === r.shards && b.route === route);
}

const DO_BASELINE = 'baseline: route -> DO';
const WRITE_BASELINE = 'baseline: route -> DO + SQLite write';

/** The targets, each a ratio to a baseline of the same run, storage and shard count. */
function targets(): Array<Record<string, string | number>> {
  const out: Array<Record<string, string | number>> = [];
  const add = (r: Row, what: string, value: number, goal: number, atMost = false) => {
    const ok = atMost ? value <= goal : value >= goal;
    out.push({
      storage: r.storage,
      shards: r.shards,
      target: what,
      measured: Math.round(value * 100) / 100,
      goal: `${atMost ? '<=' : '>='} ${goal}`,
      met: ok ? 'yes' : 'NO',
    });
  };
  for (const r of rows) {
    const rps = r.load.reqPerSec;
    const base = sibling(r, DO_BASELINE)?.load;
    const write = sibling(r, WRITE_BASELINE)?.load;
    if (!base || !write) continue;
    switch (r.route) {
      case 'get session':
        add(r, 'get / route->DO req/s', rps / base.reqPerSec, 0.6);
        add(r, 'get p99 / route->DO p99', r.load.latencyMs.p99 / base.latencyMs.p99, 2, true);
        break;
      case 'list sessions (limit 20)': {
        add(r, 'list (64 sessions) / route->DO req/s', rps / base.reqPerSec, 0.4);
        const one = rows.find(
          (o) => o.storage === r.storage && o.shards === 1 && o.route === r.route,
        );
        const oneBase = one && sibling(one, DO_BASELINE)?.load;
        if (one && oneBase && r.shards !== 1) {
          // Each against its own baseline, so the two configurations compare across the noise.
          const ratio = rps / base.reqPerSec / (one.load.reqPerSec / oneBase.reqPerSec);
          add(r, `list x-baseline, ${r.shards} shards / 1 shard`, ratio, 1);
        }
        break;
      }
      case 'create session':
        add(r, 'create / write baseline req/s', rps / write.reqPerSec, 0.5);
        break;
      case 'post candidate':
        add(r, 'candidate / write baseline req/s', rps / write.reqPerSec, 0.5);
        break;
      case 'delete session':
        add(r, 'delete / write baseline req/s', rps / write.reqPerSec, 0.5);
        break;
    }
  }
  return out;
}

try {
  const machine = machineInfo();
  console.log(
    `signaling benchmark: c=${CONNECTIONS}, ${SECONDS} s per route, shards ${SHARDS.join(', ')}, storage ${STORAGES.join(', ')}`,
  );
  console.log(
    `machine: ${machine.cpuModel} x ${machine.cpus}, kernel ${os.release()}, load average ${os
      .loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')} (others may share it: only same-run ratios compare)`,
  );
  const loadBefore = os.loadavg();
  for (const storage of STORAGES) {
    const workDir = ownDir(await mkdtemp(join(storageBase(storage), 'bench-signaling-')));
    workDirs.push(workDir);
    const { edgeDist } = await buildBenchWorkers(workDir);
    for (const shards of SHARDS) await runShardConfig(storage, workDir, shards, edgeDist);
  }
  const loadAfter = os.loadavg();

  const table = rows.map((r) => {
    const baseline = sibling(r, DO_BASELINE);
    const write = sibling(r, WRITE_BASELINE);
    const d = r.load.durationSeconds || 1;
    return {
      storage: r.storage,
      shards: r.shards,
      route: r.route,
      'req/s': Math.round(r.load.reqPerSec),
      'p50 ms': r.load.latencyMs.p50,
      'p99 ms': r.load.latencyMs.p99,
      'non-2xx': r.load.non2xx + r.load.errors,
      'x DO': ratio(r.load.reqPerSec, baseline?.load.reqPerSec ?? Number.NaN),
      'x write': ratio(r.load.reqPerSec, write?.load.reqPerSec ?? Number.NaN),
      'p99 x DO': ratio(r.load.latencyMs.p99, baseline?.load.latencyMs.p99 ?? Number.NaN),
      'workerd cpu': Math.round(((r.load.serverCpuSeconds.workerd ?? 0) / d) * 100) / 100,
      'generator cpu': Math.round((r.load.generatorCpuSeconds / d) * 100) / 100,
    };
  });
  printTable(
    `Signaling throughput, c=${CONNECTIONS}, ${SECONDS} s per route (x DO / x write: req/s over the route->DO / SQLite-write baseline of the same storage and shards; cpu = cores busy on average)`,
    table,
  );
  const goals = targets();
  printTable('Targets (issue 11), each a same-run ratio', goals);
  printTable(
    'Registry calls per create (issue 15: < 0.05 at steady state; calls into the one NodeRegistry object during the create run)',
    registryPerCreate.map((r) => ({
      storage: r.storage,
      shards: r.shards,
      creates: r.creates,
      'registry calls': r.calls,
      'by op': JSON.stringify(r.byOp),
      'registry calls per create': Math.round(r.perCreate * 10_000) / 10_000,
    })),
  );
  if (heyRuns.length > 0) {
    printTable(
      "The guide's line: hey -n 10000 -c 100 GET /api/media/sessions (guide: 10,000 req/s, p99 50 ms)",
      heyRuns.map((h) => ({
        storage: h.storage,
        shards: h.shards,
        'device sessions': h.sessions,
        'req/s': Math.round(h.hey.reqPerSec),
        'p50 ms': h.hey.p50Ms,
        'p99 ms': h.hey.p99Ms,
        statuses: JSON.stringify(h.hey.statuses),
      })),
    );
  }
  if (crossChecks.length > 0) {
    printTable(
      'Load generator cross-check: the same routes driven by wrk (C) instead of autocannon (Node)',
      crossChecks.map((c) => {
        const a = rows.find(
          (r) => r.storage === c.storage && r.shards === c.shards && r.route === c.route,
        );
        return {
          storage: c.storage,
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
  console.log(
    `load average before ${loadBefore.map((v) => v.toFixed(2)).join(' ')}, after ${loadAfter.map((v) => v.toFixed(2)).join(' ')}`,
  );
  const path = writeResults('signaling', {
    parameters: {
      seconds: SECONDS,
      connections: CONNECTIONS,
      shards: SHARDS,
      icePool: ICE_POOL,
      readerSessions: READER_SESSIONS,
      storage: STORAGES.map((st) => `${st} (${storageBase(st)})`),
      runtime: 'workerd serve (same bundle and config as npm start)',
      loadGenerator: 'autocannon 9 in its own Node process',
    },
    loadAverage: { before: loadBefore, after: loadAfter },
    summary: table,
    targets: goals,
    registryCallsPerCreate: registryPerCreate,
    hey: heyRuns,
    raw: rows,
    wrkCrossCheck: crossChecks,
    edgeWarnings,
  });
  console.log(`\nwrote ${path}`);
} finally {
  // --keep leaves workerd's log and the load specs for a post-mortem.
  for (const workDir of workDirs) {
    if (argv.includes('--keep')) console.log(`work dir kept: ${workDir}`);
    else await rm(workDir, { recursive: true, force: true });
  }
}
