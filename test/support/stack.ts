/**
 * The real stack for one test file: the edge under workerd and two media nodes, on free ports,
 * in a temporary directory that `stop()` removes. Logs go to files there; `logTail()` shows them
 * when a test fails.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { MediaApi } from '../../client/api.ts';
import type { Child } from '../../scripts/stack/child.ts';
import { type Stack, startStack } from '../../scripts/stack/stack.ts';
import { freePorts } from './free-port.ts';

export interface TestStack extends Stack {
  /** An API client for `device` (token scoped to `room` when given). */
  api(device: string, options?: { room?: string; admin?: boolean }): Promise<MediaApi>;
  /** The last lines of every process's log. */
  logTail(lines?: number): Promise<string>;
  /** Stops everything and removes the temporary directory. */
  teardown(): Promise<void>;
}

export interface TestStackOptions {
  nodeEnv?: Record<string, string>;
  /** Extra environment per media node, by index. */
  nodeEnvs?: Array<Record<string, string>>;
  edgeVars?: Record<string, string>;
  /** Called with every child as it is spawned (e.g. to restart the edge in a test). */
  onChild?: (child: Child) => void;
  /** Media nodes to start (default 2). */
  nodes?: number;
}

export async function startTestStack(options: TestStackOptions = {}): Promise<TestStack> {
  const workDir = await mkdtemp(join(tmpdir(), 'e2e-stack-'));
  const [edgePort, ...nodePorts] = await freePorts(1 + (options.nodes ?? 2));
  let stack: Stack;
  try {
    stack = await startStack({
      edgePort,
      nodePorts,
      workDir,
      logs: 'files',
      prebuiltDist: inject('edgeDist'),
      nodeEnv: { LOG_LEVEL: 'info', ...options.nodeEnv },
      ...(options.nodeEnvs ? { nodeEnvs: options.nodeEnvs } : {}),
      ...(options.edgeVars ? { edgeVars: options.edgeVars } : {}),
      ...(options.onChild ? { onChild: options.onChild } : {}),
    });
  } catch (error) {
    const tail = await logTail(workDir, 40);
    await rm(workDir, { recursive: true, force: true });
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${tail}`);
  }
  return {
    ...stack,
    api: async (device, o = {}) =>
      new MediaApi({
        baseUrl: stack.edgeUrl,
        token: await stack.token({
          device,
          ...(o.room === undefined ? {} : { room: o.room }),
          ...(o.admin === undefined ? {} : { admin: o.admin }),
        }),
      }),
    logTail: (lines = 30) => logTail(workDir, lines),
    teardown: async () => {
      try {
        await stack.stop({ nodeTimeoutMs: 40_000 });
      } finally {
        await rm(workDir, { recursive: true, force: true });
      }
    },
  };
}

async function logTail(dir: string, lines: number): Promise<string> {
  const files = (await readdir(dir).catch(() => [])).filter((f) => f.endsWith('.log'));
  const parts: string[] = [];
  for (const file of files) {
    const text = await readFile(join(dir, file), 'utf8').catch(() => '');
    parts.push(`--- ${file}\n${text.split('\n').slice(-lines).join('\n')}`);
  }
  return parts.join('\n');
}
