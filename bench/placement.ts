/**
 * `npm run bench:placement`: the placement simulator (bench/placement/simulator.ts) for this
 * design (`geo`: nearest admissible node with slack, the edge's rule) and for "least loaded
 * only", on the same world and the same joins. Pure computation: no process, no network.
 *
 *   npm run bench:placement [-- --nodes 1000 --joins 1000000 --seed 1 --slack-km 300]
 */
import os from 'node:os';
import { numberOption } from './lib/args.ts';
import { printTable, writeResults } from './lib/results.ts';
import {
  DEFAULT_CONFIG,
  type Policy,
  type SimConfig,
  type SimResult,
  simulate,
} from './placement/simulator.ts';

const argv = process.argv.slice(2);
const config: SimConfig = {
  ...DEFAULT_CONFIG,
  nodes: numberOption(argv, 'nodes', DEFAULT_CONFIG.nodes),
  joins: numberOption(argv, 'joins', DEFAULT_CONFIG.joins),
  seed: numberOption(argv, 'seed', DEFAULT_CONFIG.seed),
  slackKm: argv.includes('--slack-km')
    ? Number(argv[argv.indexOf('--slack-km') + 1])
    : DEFAULT_CONFIG.slackKm,
};

console.log(
  `placement simulator: ${os.cpus()[0]?.model ?? 'cpu?'} x ${os.cpus().length}, ${os.platform()} ${os.release()}, load ${os
    .loadavg()
    .map((v) => v.toFixed(2))
    .join(' ')}`,
);
console.log(
  `${config.nodes} nodes (${config.maxSessionsPerNode} sessions each) in 20 regions, ${config.joins} joins, rooms of 1-50, ${config.utilization * 100} % of capacity open at steady state, slack ${config.slackKm} km, seed ${config.seed}; failures ${config.failures.map((f) => `${f.share * 100} % at ${f.at * 100} %`).join(', ')}; drains ${config.drains.map((d) => `${d.share * 100} % at ${d.at * 100} %`).join(', ')}`,
);

const results: Array<SimResult & { seconds: number }> = [];
for (const policy of ['geo', 'least-loaded'] as Policy[]) {
  const t0 = performance.now();
  const r = simulate(policy, config);
  results.push({ ...r, seconds: (performance.now() - t0) / 1000 });
}

const km = (v: number) => Math.round(v);
const pct = (n: number, of: number) => `${((n / Math.max(1, of)) * 100).toFixed(2)} %`;
printTable(
  'Placement, same world and joins for both rules',
  results.map((r) => ({
    rule: r.policy === 'geo' ? 'nearest with slack (this design)' : 'least loaded only',
    'p50 km': km(r.distanceKm.p50),
    'p95 km': km(r.distanceKm.p95),
    'first member p50 km': km(r.firstMemberKm.p50),
    'first member p95 km': km(r.firstMemberKm.p95),
    'load max/mean': r.loadSpread.mean,
    'worst max/mean': r.loadSpread.max,
    'joins refused': `${r.refused.capacity_exceeded + r.refused.draining + r.refused.no_media_node} (${pct(r.refused.capacity_exceeded + r.refused.draining + r.refused.no_media_node, r.joins)})`,
    'of them draining': r.refused.draining,
    'match region/nearest/fallback/room': ['region', 'nearest', 'fallback', 'room']
      .map((m) => r.match[m] ?? 0)
      .join('/'),
    seconds: r.seconds,
  })),
);
printTable(
  'Node failures: rooms on a lost node are placed again at once (clients rejoin after node_lost)',
  results.map((r) => ({
    rule: r.policy,
    'nodes failed': r.failover.nodesFailed,
    'sessions affected': r.failover.sessionsAffected,
    'rooms moved': r.failover.roomsMoved,
    're-placed': r.failover.sessionsReplaced,
    refused: r.failover.sessionsRefused,
    'p50 km after': km(r.failover.distanceKm.p50),
    'p95 km after': km(r.failover.distanceKm.p95),
    'steady utilisation': r.steadyUtilization,
  })),
);
const path = writeResults('placement', { config, results });
console.log(`\nresults: ${path}`);
