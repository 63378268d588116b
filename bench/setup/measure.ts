/** Runs N session setups at a given concurrency and meters the processes involved. */

import { runPool } from '../lib/pool.ts';
import { CpuMeter } from '../lib/proc.ts';
import type { SetupSample } from './direct-session.ts';

export interface SetupRun {
  samples: SetupSample[];
  failures: string[];
  wallSeconds: number;
  /** CPU seconds per process name over the run. */
  cpuSeconds: Record<string, number>;
}

/**
 * `open(i)` sets one session up and returns its sample and a close function; each session is
 * closed as soon as it is measured (so the node holds at most `concurrency` at a time).
 */
export async function measureSetups(
  count: number,
  concurrency: number,
  open: (i: number) => Promise<{ sample: SetupSample; close(): Promise<void> }>,
  metered: Record<string, number>,
): Promise<SetupRun> {
  const meters = Object.entries(metered).map(([name, pid]) => [name, new CpuMeter(pid)] as const);
  for (const [, m] of meters) m.start();
  const t0 = performance.now();
  const samples: SetupSample[] = [];
  const failures: string[] = [];
  await runPool(count, concurrency, async (i) => {
    try {
      const s = await open(i);
      samples.push(s.sample);
      await s.close().catch(() => undefined);
    } catch (error) {
      failures.push(error instanceof Error ? error.message : String(error));
    }
  });
  const wallSeconds = (performance.now() - t0) / 1000;
  const cpuSeconds: Record<string, number> = {};
  for (const [name, m] of meters) cpuSeconds[name] = m.stop().cpuSeconds;
  return { samples, failures, wallSeconds, cpuSeconds };
}
