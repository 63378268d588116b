/**
 * Measures a real media-node process on loopback:
 *  - setup time of an echo session: offer POSTed -> client connected (median of N), and the
 *    node's own view (media_session_setup_seconds);
 *  - CPU of one echoed stream (video 50 pkt/s of 1000 B + audio 50 pkt/s of 120 B) as % of one
 *    core over 10 s, from /proc/<pid>/stat, against the same session idle.
 * Run: npx node media-node/bench/echo-bench.ts [sessions=10] [seconds=10]
 */
import { readFileSync } from 'node:fs';
import { startFakeEdge } from '../../test/support/fake-edge.ts';
import { parseMetrics, sampleValue } from '../../test/support/prometheus.ts';
import { nodeApi } from '../test/helpers/node-api.ts';
import { spawnNode } from '../test/helpers/node-process.ts';
import { pump, TestClient } from '../test/helpers/test-client.ts';
import { TEST_SECRET } from '../test/helpers/test-node.ts';

const SESSIONS = Number(process.argv[2] ?? 10);
const SECONDS = Number(process.argv[3] ?? 10);
const CLK_TCK = 100; // Linux USER_HZ

function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]); // utime + stime
}

async function cpuPercent(pid: number, seconds: number): Promise<number> {
  const t0 = cpuTicks(pid);
  const w0 = performance.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  return ((cpuTicks(pid) - t0) / CLK_TCK / ((performance.now() - w0) / 1000)) * 100;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

const edge = await startFakeEdge(TEST_SECRET);
const proc = spawnNode({
  PORT: '0',
  EDGE_URL: edge.url,
  NODE_SHARED_SECRET: TEST_SECRET,
  NODE_ID: 'bench',
});
try {
  const { url } = (await proc.waitForLog('started')) as { url: string };
  const target = { api: nodeApi(url, TEST_SECRET, 'bench'), edge };
  const pid = proc.child.pid as number;

  const setups: number[] = [];
  for (let i = 0; i < SESSIONS; i++) {
    const c = new TestClient(target, `setup-${i}`, 1, { echo: true });
    // Clock starts when the offer is posted: the client's own gathering (its 200 ms loopback
    // STUN timeout) is a property of the test client, not of the node.
    await c.join();
    setups.push(c.setupMs);
    await target.api.request('DELETE', `/internal/v1/sessions/setup-${i}`);
    await c.close();
  }
  const m = parseMetrics(await (await fetch(`${url}/metrics`)).text());
  const nodeMean =
    (sampleValue(m, 'media_session_setup_seconds_sum') /
      sampleValue(m, 'media_session_setup_seconds_count')) *
    1000;

  const c = new TestClient(target, 'cpu', 2, { echo: true });
  await c.join();
  await new Promise((r) => setTimeout(r, 1_000));
  const idle = await cpuPercent(pid, SECONDS);
  const stop = pump([c]);
  await new Promise((r) => setTimeout(r, 1_000));
  const before = c.count(2, 'video');
  const streaming = await cpuPercent(pid, SECONDS);
  stop();
  const echoedVideo = c.count(2, 'video') - before;
  await c.close();

  const rows = {
    'setup offer->connected, client view, median (ms)': median(setups).toFixed(1),
    'setup min / max (ms)': `${Math.min(...setups).toFixed(1)} / ${Math.max(...setups).toFixed(1)}`,
    'setup node view, mean media_session_setup_seconds (ms)': nodeMean.toFixed(1),
    [`node CPU, one idle echo session, ${SECONDS} s (% of a core)`]: idle.toFixed(2),
    [`node CPU, one echoed stream 50+50 pkt/s, ${SECONDS} s (% of a core)`]: streaming.toFixed(2),
    'video packets echoed back during the CPU window': echoedVideo,
  };
  console.table(rows);
} finally {
  proc.child.kill('SIGTERM');
  await proc.exited;
  await edge.close();
}
