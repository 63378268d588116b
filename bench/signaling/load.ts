/**
 * The load generator, in its own process so that its CPU can be read apart from everything else
 * (`process.cpuUsage()` over the run). Reads a {@link LoadSpec} JSON file named by argv[2],
 * prints `started` when the load begins and one JSON {@link LoadResult} line at the end.
 */
import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import autocannon from 'autocannon';
import { type LoadResult, type LoadSpec, roundRobin } from './load-spec.ts';

const spec = JSON.parse(await readFile(process.argv[2] ?? '', 'utf8')) as LoadSpec;
const nextPath = roundRobin(spec.paths);
const ids: string[] = [];

const cpu0 = process.cpuUsage();
console.log('started');
const result = await autocannon({
  url: spec.origin,
  connections: spec.connections,
  duration: spec.durationSeconds,
  ...(spec.amount === undefined ? {} : { amount: spec.amount }),
  // A request the server has not answered in 10 s counts as a timeout, not a hang.
  timeout: 10,
  requests: [
    {
      method: spec.method,
      headers: spec.headers,
      ...(spec.body === undefined ? {} : { body: spec.body }),
      setupRequest: (req) => ({ ...req, path: nextPath() }),
      ...(spec.collectSessionIdsTo
        ? {
            onResponse: (status: number, body: string) => {
              if (status >= 200 && status < 300) {
                const id = (JSON.parse(body) as { sessionId?: string }).sessionId;
                if (id) ids.push(id);
              }
            },
          }
        : {}),
    },
  ],
});
const cpu = process.cpuUsage(cpu0);

if (spec.collectSessionIdsTo) writeFileSync(spec.collectSessionIdsTo, ids.join('\n'));
const codes: Record<string, number> = {};
for (const [code, stat] of Object.entries(result.statusCodeStats ?? {})) {
  codes[code] = (stat as { count: number }).count;
}
const out: LoadResult = {
  requests: result.requests.total,
  durationSeconds: result.duration,
  reqPerSec: result.duration > 0 ? result.requests.total / result.duration : 0,
  latencyMs: {
    p50: result.latency.p50,
    p90: result.latency.p90,
    p99: result.latency.p99,
    max: result.latency.max,
    mean: result.latency.mean,
  },
  status2xx: result['2xx'],
  non2xx: result.non2xx,
  statusCodes: codes,
  errors: result.errors,
  timeouts: result.timeouts,
  generatorCpuSeconds: (cpu.user + cpu.system) / 1e6,
};
console.log(JSON.stringify(out));
