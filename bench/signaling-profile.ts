/**
 * Where the edge spends its CPU on one signaling route: a V8 CPU profile of the workerd isolate
 * (the Worker and its Durable Objects share it) while the route is under load at c=100, taken
 * through workerd's inspector on loopback. Not part of `npm run bench`; it explains its figures.
 *
 *   npm run bench:signaling-profile [-- --route get|create|candidate|list|delete --seconds 5 --shards 1]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { API_BASE } from '../shared/api.ts';
import { freePorts } from '../test/support/free-port.ts';
import { numberOption, option } from './lib/args.ts';
import { cdpTargets, connectCdp, topFunctions } from './lib/cdp.ts';
import { ownDir } from './lib/children.ts';
import { printTable, RESULTS_DIR, writeResults } from './lib/results.ts';
import { buildBenchWorkers } from './signaling/bench-edge.ts';
import type { LoadSpec } from './signaling/load-spec.ts';
import { runLoad } from './signaling/run-load.ts';
import { seedSessions } from './signaling/seed.ts';
import { startSignalingTarget } from './signaling/target.ts';

const argv = process.argv.slice(2);
const ROUTE = option(argv, 'route') ?? 'get';
const SECONDS = numberOption(argv, 'seconds', 5);
const SHARDS = numberOption(argv, 'shards', 1);
const sessions = `${API_BASE}/sessions`;

const workDir = ownDir(await mkdtemp(join('/dev/shm', 'bench-profile-')));
try {
  const { edgeDist } = await buildBenchWorkers(workDir);
  const [inspectPort = 0] = await freePorts(1);
  const target = await startSignalingTarget({
    workDir,
    edgeDist,
    shards: SHARDS,
    inspectorAddress: `127.0.0.1:${inspectPort}`,
  });
  try {
    const token = await target.token('bench-profile');
    const ids = await seedSessions(target.edgeUrl, token, 300, true);
    const auth = { authorization: `Bearer ${token}` };
    const json = { 'content-type': 'application/json' };
    // Sessions for the delete run: each deleted once (a second DELETE of an ended one is a no-op).
    const doomed = ROUTE === 'delete' ? await seedSessions(target.edgeUrl, token, 4000, false) : [];
    const specs: Record<string, Omit<LoadSpec, 'origin' | 'connections' | 'durationSeconds'>> = {
      delete: {
        method: 'DELETE',
        paths: doomed.map((id) => `${sessions}/${id}`),
        headers: auth,
        amount: doomed.length,
      },
      get: { method: 'GET', paths: ids.map((id) => `${sessions}/${id}`), headers: auth },
      list: { method: 'GET', paths: [`${sessions}?limit=20`], headers: auth },
      create: { method: 'POST', paths: [sessions], headers: { ...auth, ...json }, body: '{}' },
      candidate: {
        method: 'POST',
        paths: ids.map((id) => `${sessions}/${id}/candidates`),
        headers: { ...auth, ...json },
        body: JSON.stringify({
          candidates: [
            { candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host', sdpMid: '0' },
          ],
        }),
      },
    };
    const spec = specs[ROUTE];
    if (!spec) throw new Error(`--route must be one of ${Object.keys(specs).join(', ')}`);
    const targets = await cdpTargets(inspectPort);
    // workerd names each inspector target after its service.
    const edge = targets.find((t) => t.id === 'edge' || t.title === 'edge') ?? targets[0];
    if (!edge) throw new Error('workerd exposes no inspector target');
    const cdp = await connectCdp(edge.webSocketDebuggerUrl);
    await cdp.send('Profiler.enable');
    await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
    await cdp.send('Profiler.start');
    const load = await runLoad(
      { origin: target.edgeUrl, connections: 100, durationSeconds: SECONDS, ...spec },
      { workerd: target.workerd.pid },
      target.runDir,
      `profile-${ROUTE}`,
    );
    const { profile } = (await cdp.send('Profiler.stop')) as {
      profile: Parameters<typeof topFunctions>[0];
    };
    cdp.close();
    const top = topFunctions(profile, 25);
    printTable(
      `CPU profile of the edge isolate, ${ROUTE} at c=100 (${Math.round(load.reqPerSec)} req/s with the profiler on; target ${edge.id})`,
      top,
    );
    // The whole profile too, for DevTools or an inclusive-time reading (not committed).
    const raw = join(RESULTS_DIR, `signaling-profile-${ROUTE}.cpuprofile`);
    await writeFile(raw, JSON.stringify(profile));
    const path = writeResults(`signaling-profile-${ROUTE}`, {
      parameters: { route: ROUTE, seconds: SECONDS, shards: SHARDS, samplingIntervalUs: 200 },
      load,
      top,
    });
    console.log(`\nwrote ${path} and ${raw}`);
  } finally {
    await target.stop();
  }
} finally {
  await rm(workDir, { recursive: true, force: true });
}
