/**
 * Runs one load step: starts the load generator process (load.ts), meters the CPU of the server
 * processes from the moment load begins until the result arrives, and returns both, so every
 * row shows that the generator was not the bottleneck (or that it was).
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { CpuMeter } from '../lib/proc.ts';
import type { LoadResult, LoadSpec } from './load-spec.ts';

const LOAD_SCRIPT = fileURLToPath(new URL('./load.ts', import.meta.url));

export interface MeteredLoad extends LoadResult {
  /** CPU seconds of each metered process during the run, by name. */
  serverCpuSeconds: Record<string, number>;
  wallSeconds: number;
}

export async function runLoad(
  spec: LoadSpec,
  metered: Record<string, number>,
  workDir: string,
  name: string,
): Promise<MeteredLoad> {
  const specPath = join(workDir, `load-${name.replace(/[^a-z0-9]+/gi, '-')}.json`);
  await writeFile(specPath, JSON.stringify(spec));
  const child = spawn(process.execPath, [LOAD_SCRIPT, specPath], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // Never outlive the benchmark, whatever ends it.
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  const meters = Object.entries(metered).map(([n, pid]) => [n, new CpuMeter(pid)] as const);
  let wall0 = 0;
  let result: LoadResult | undefined;
  const deadline = setTimeout(kill, (spec.durationSeconds + 60) * 1000);
  try {
    for await (const line of createInterface({ input: child.stdout })) {
      if (line === 'started') {
        for (const [, m] of meters) m.start();
        wall0 = performance.now();
      } else if (line.startsWith('{')) {
        result = JSON.parse(line) as LoadResult;
      }
    }
  } finally {
    clearTimeout(deadline);
    process.removeListener('exit', kill);
  }
  const wallSeconds = (performance.now() - wall0) / 1000;
  if (!result) throw new Error(`load generator for ${name} gave no result`);
  const serverCpuSeconds: Record<string, number> = {};
  for (const [n, m] of meters) serverCpuSeconds[n] = m.stop().cpuSeconds;
  return { ...result, serverCpuSeconds, wallSeconds };
}
