/**
 * Session setup latency, offer posted -> connected, for N sessions sequential and N with 20 at a
 * time: through the whole stack (client SDK -> edge in workerd -> one media node), and, as the
 * baseline in the same run, the media node alone (its signed internal API, no edge).
 * Clients are werift peers on loopback in this process; their CPU is reported too.
 *
 *   npm run bench:setup [-- --sessions 200 --concurrency 20]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MediaApi } from '../client/api.ts';
import { nodeApi } from '../media-node/test/helpers/node-api.ts';
import { readDevVars } from '../scripts/stack/dev-vars.ts';
import { nodeIdFor, startMediaNode } from '../scripts/stack/media-node.ts';
import { ROOT, startStack } from '../scripts/stack/stack.ts';
import { waitHttpOk } from '../scripts/stack/wait.ts';
import { startFakeEdge } from '../test/support/fake-edge.ts';
import { freePorts } from '../test/support/free-port.ts';
import { numberOption } from './lib/args.ts';
import { own, ownChild, ownDir } from './lib/children.ts';
import { printTable, writeResults } from './lib/results.ts';
import { ratio, summarize } from './lib/stats.ts';
import { openDirectSession } from './setup/direct-session.ts';
import { measureSetups, type SetupRun } from './setup/measure.ts';
import { openSdkSession } from './setup/sdk-session.ts';

const argv = process.argv.slice(2);
const SESSIONS = numberOption(argv, 'sessions', 200);
const CONCURRENCY = numberOption(argv, 'concurrency', 20);
/** Sessions set up first and not recorded (JIT, sockets, first DTLS). */
const WARM_UP = 5;

interface Variant {
  name: string;
  mode: string;
  concurrency: number;
  run: SetupRun;
}

const secrets = readDevVars(join(ROOT, '.dev.vars'));
const workDir = ownDir(await mkdtemp(join(tmpdir(), 'bench-setup-')));
const variants: Variant[] = [];

async function both(
  name: string,
  open: (i: number) => ReturnType<Parameters<typeof measureSetups>[2]>,
  metered: Record<string, number>,
) {
  await measureSetups(WARM_UP, 1, open, {});
  for (const concurrency of [1, CONCURRENCY]) {
    const mode = concurrency === 1 ? 'sequential' : `${concurrency} concurrent`;
    const run = await measureSetups(SESSIONS, concurrency, open, metered);
    variants.push({ name, mode, concurrency, run });
    const s = summarize(run.samples.map((x) => x.clientMs));
    console.log(
      `  ${name}, ${mode}: p50 ${s.p50.toFixed(0)} ms, max ${s.max.toFixed(0)} ms, failed ${run.failures.length}`,
    );
  }
}

async function nodeAlone(): Promise<void> {
  const edge = await startFakeEdge(secrets.NODE_SHARED_SECRET ?? '');
  const [port = 0] = await freePorts(1);
  const node = own(
    startMediaNode({
      root: ROOT,
      host: '127.0.0.1',
      port,
      edgeUrl: edge.url,
      sharedSecret: secrets.NODE_SHARED_SECRET ?? '',
      log: { file: join(workDir, 'node-alone.log') },
    }),
  );
  try {
    const url = `http://127.0.0.1:${port}`;
    await waitHttpOk(`${url}/healthz`, { timeoutMs: 20_000 });
    const api = nodeApi(url, secrets.NODE_SHARED_SECRET ?? '', nodeIdFor(port));
    let n = 0;
    await both('media node alone', () => openDirectSession(api, edge, `bench-${n++}`), {
      node: node.pid,
      clients: process.pid,
    });
  } finally {
    await node.stop('SIGTERM', 10_000);
    await edge.close();
  }
}

async function wholeStack(): Promise<void> {
  let edgePid = 0;
  const start = async () => {
    const [edgePort = 0, nodePort = 0] = await freePorts(2);
    return startStack({
      edgePort,
      nodePorts: [nodePort],
      workDir: join(workDir, 'stack'),
      // One device opens every session here, up to CONCURRENCY at once: above the default cap.
      edgeVars: { MAX_SESSIONS_PER_DEVICE: '10000' },
      logs: 'files',
      onChild: (child) => {
        ownChild(child);
        if (child.name === 'edge') edgePid = child.pid;
      },
    });
  };
  // Other test runs share this machine: a port picked free may be taken before we bind it.
  const stack = await start().catch((error: unknown) => {
    console.log(`  stack start failed (${String(error)}); retrying once on new ports`);
    return start();
  });
  try {
    const api = new MediaApi({
      baseUrl: stack.edgeUrl,
      token: await stack.token({ device: 'bench-setup' }),
    });
    const node = stack.nodes[0];
    if (!node) throw new Error('the stack started no node');
    await both('edge + media node', () => openSdkSession(api), {
      node: node.child.pid,
      edge: edgePid,
      clients: process.pid,
    });
  } finally {
    await stack.stop({ nodeTimeoutMs: 10_000 });
  }
}

try {
  console.log(`setup latency: ${SESSIONS} sessions sequential and ${CONCURRENCY} at a time`);
  await nodeAlone();
  await wholeStack();

  const table = variants.map((v) => {
    const client = summarize(v.run.samples.map((s) => s.clientMs));
    const server = summarize(
      v.run.samples.flatMap((s) => (s.serverMs === undefined ? [] : [s.serverMs])),
    );
    const base = variants.find((b) => b.name === 'media node alone' && b.mode === v.mode);
    const baseP50 = base ? summarize(base.run.samples.map((s) => s.clientMs)).p50 : Number.NaN;
    const perSession = (name: string) =>
      v.run.cpuSeconds[name] === undefined
        ? '-'
        : Math.round(
            ((v.run.cpuSeconds[name] ?? 0) / Math.max(1, v.run.samples.length)) * 1000 * 10,
          ) / 10;
    return {
      path: v.name,
      mode: v.mode,
      ok: client.count,
      failed: v.run.failures.length,
      'p50 ms': Math.round(client.p50),
      'p95 ms': Math.round(client.p95),
      'p99 ms': Math.round(client.p99),
      'max ms': Math.round(client.max),
      'x p50 node alone': ratio(client.p50, baseP50),
      'server p50 ms': Math.round(server.p50),
      'server p99 ms': Math.round(server.p99),
      'setups/s': Math.round((client.count / v.run.wallSeconds) * 10) / 10,
      'node cpu ms/setup': perSession('node'),
      'edge cpu ms/setup': perSession('edge'),
      'client cpu ms/setup': perSession('clients'),
    };
  });
  printTable(
    'Session setup latency: offer posted -> client connected (server = the connected event reaching the client)',
    table,
  );
  const path = writeResults('setup-latency', {
    parameters: {
      sessions: SESSIONS,
      concurrency: CONCURRENCY,
      warmUp: WARM_UP,
      clients: 'werift, loopback, audio+video transceivers, no media',
      nodes: 1,
    },
    summary: table,
    raw: variants.map((v) => ({
      path: v.name,
      mode: v.mode,
      samples: v.run.samples,
      failures: v.run.failures.slice(0, 20),
      failureCount: v.run.failures.length,
      wallSeconds: v.run.wallSeconds,
      cpuSeconds: v.run.cpuSeconds,
    })),
  });
  console.log(`\nwrote ${path}`);
} finally {
  // --keep leaves the processes' logs for a post-mortem.
  if (argv.includes('--keep')) console.log(`logs kept in ${workDir}`);
  else await rm(workDir, { recursive: true, force: true });
}
