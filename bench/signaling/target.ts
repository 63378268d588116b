/**
 * What the signaling benchmarks load: workerd serving the edge and the baseline worker (fresh
 * storage), a fake media node registered by heartbeats, and tokens for the local secret.
 */
import { join } from 'node:path';
import { signToken } from '../../edge/src/auth/token.ts';
import type { Child } from '../../scripts/stack/child.ts';
import { readDevVars } from '../../scripts/stack/dev-vars.ts';
import { ROOT, waitNodesRegistered } from '../../scripts/stack/stack.ts';
import { waitHttpOk } from '../../scripts/stack/wait.ts';
import { freePorts } from '../../test/support/free-port.ts';
import { startBenchWorkerd } from './bench-edge.ts';
import { type FakeNode, startFakeNode } from './fake-node.ts';

export interface SignalingTarget {
  workerd: Child;
  edgeUrl: string;
  baseUrl: string;
  node: FakeNode;
  runDir: string;
  token(device: string, admin?: boolean): Promise<string>;
  stop(): Promise<void>;
}

export async function startSignalingTarget(o: {
  workDir: string;
  edgeDist: string;
  shards: number;
  inspectorAddress?: string;
}): Promise<SignalingTarget> {
  const secrets = readDevVars(join(ROOT, '.dev.vars'));
  const [edgePort = 0, baselinePort = 0] = await freePorts(2);
  const runDir = join(o.workDir, `shards-${o.shards}`);
  const workerd = await startBenchWorkerd({
    workDir: o.workDir,
    runDir,
    edgeDist: o.edgeDist,
    edgePort,
    baselinePort,
    // One device per role drives the whole load and creates thousands of sessions: its rate
    // limit (429 past 20/s by default) and its cap of open sessions (20) are raised so the bench
    // measures serving, with the limiter's and the cap's per-call cost still on the path.
    vars: {
      SHARD_COUNT: String(o.shards),
      RATE_LIMIT_DEVICE_PER_S: '100000',
      RATE_LIMIT_DEVICE_BURST: '1000000',
      RATE_LIMIT_DEVICE_READ_PER_S: '1000000',
      RATE_LIMIT_DEVICE_READ_BURST: '10000000',
      MAX_SESSIONS_PER_DEVICE: '10000',
    },
    ...(o.inspectorAddress ? { inspectorAddress: o.inspectorAddress } : {}),
  });
  const edgeUrl = `http://127.0.0.1:${edgePort}`;
  const baseUrl = `http://127.0.0.1:${baselinePort}`;
  const died = () => (workerd.running ? undefined : 'workerd exited (see its log in the work dir)');
  try {
    await waitHttpOk(`${edgeUrl}/healthz`, { timeoutMs: 30_000, abort: died });
    await waitHttpOk(`${baseUrl}/do`, { timeoutMs: 10_000, abort: died });
  } catch (error) {
    await workerd.stop('SIGKILL', 1_000);
    throw error;
  }
  const node = await startFakeNode({
    edgeUrl,
    secret: secrets.NODE_SHARED_SECRET ?? '',
    nodeId: 'bench-node',
  });
  const token = (device: string, admin = false) =>
    signToken(secrets.JWT_SECRET ?? '', { device, admin, ttlSeconds: 3600 });
  const stop = async () => {
    await node.close();
    await workerd.stop('SIGTERM', 5_000);
  };
  try {
    await waitNodesRegistered(edgeUrl, await token('bench-admin', true), 1, 10_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { workerd, edgeUrl, baseUrl, node, runDir, token, stop };
}
