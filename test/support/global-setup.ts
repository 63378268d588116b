/**
 * Once per e2e run: bundle the edge (the demo page included) so every test file's stack starts
 * from the same build, and at the end print the offer -> connected times the tests measured.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { buildDemo } from '../../scripts/build-demo.ts';
import { ROOT } from '../../scripts/stack/stack.ts';
import { buildEdgeBundle } from '../../scripts/stack/workerd-edge.ts';
import { printSetupTimes, resetSetupTimes } from './setup-times.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    edgeDist: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const dir = await mkdtemp(join(tmpdir(), 'e2e-edge-'));
  const dist = join(dir, 'dist');
  await buildDemo();
  await buildEdgeBundle({ root: ROOT, outDir: dist, log: { file: join(dir, 'build.log') } });
  await resetSetupTimes();
  project.provide('edgeDist', dist);
  return async () => {
    await printSetupTimes();
    await rm(dir, { recursive: true, force: true });
  };
}
