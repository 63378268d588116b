/**
 * `npm run bench`: every benchmark, one after another, each in its own process with a deadline
 * (SIGTERM, then SIGKILL), so the whole run is bounded (< 15 minutes on 2 cores) and leaves no
 * process behind. Each benchmark prints its table and writes bench/results/<name>-latest.json;
 * this writes bench/results/run-latest.json with what ran, how long it took and how it ended.
 *
 *   npm run bench [-- --only signaling,setup]
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { option } from './lib/args.ts';
import { printTable, writeResults } from './lib/results.ts';

interface Benchmark {
  name: string;
  script: string;
  args: string[];
  /** Hard limit for this benchmark, in seconds. */
  deadlineSeconds: number;
}

const HERE = fileURLToPath(new URL('./', import.meta.url));
const BENCHMARKS: Benchmark[] = [
  // tmpfs only inside the suite (its time budget); `npm run bench:signaling` adds disk and hey.
  {
    name: 'signaling',
    script: 'signaling.ts',
    args: ['--storage', 'memory'],
    deadlineSeconds: 240,
  },
  { name: 'setup', script: 'setup-latency.ts', args: [], deadlineSeconds: 300 },
  { name: 'memory', script: 'memory.ts', args: [], deadlineSeconds: 240 },
  { name: 'whip', script: 'whip.ts', args: ['--rounds', '10'], deadlineSeconds: 150 },
  // Owned by the forwarding work (issue 7); run when present.
  { name: 'forwarding', script: 'forwarding.ts', args: [], deadlineSeconds: 480 },
  // Pure computation (the placement simulator), ~30 s for a million joins per rule.
  { name: 'placement', script: 'placement.ts', args: [], deadlineSeconds: 120 },
];
const TOTAL_BUDGET_SECONDS = 15 * 60;

/** The benchmarks `--only` selects (all when absent); pure (unit-tested). */
export function selectBenchmarks<T extends { name: string }>(
  all: T[],
  only: string | undefined,
): T[] {
  if (!only) return all;
  const names = only.split(',').map((s) => s.trim());
  const unknown = names.filter((n) => !all.some((b) => b.name === n));
  if (unknown.length > 0) throw new Error(`unknown benchmark(s): ${unknown.join(', ')}`);
  return all.filter((b) => names.includes(b.name));
}

function runOne(
  b: Benchmark,
  deadlineSeconds: number,
): Promise<{ code: number | null; signal: string | null; timedOut: boolean }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [`${HERE}${b.script}`, ...b.args], { stdio: 'inherit' });
    let timedOut = false;
    const stop = () => {
      timedOut = true;
      // The benchmark kills its own processes on SIGTERM; SIGKILL if it does not exit.
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 15_000).unref();
    };
    const timer = setTimeout(stop, deadlineSeconds * 1000);
    const forward = () => child.kill('SIGTERM');
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      process.removeListener('SIGINT', forward);
      process.removeListener('SIGTERM', forward);
      resolve({ code, signal, timedOut });
    });
  });
}

if (import.meta.main) {
  const selected = selectBenchmarks(BENCHMARKS, option(process.argv.slice(2), 'only'));
  const t0 = performance.now();
  const outcomes: Array<Record<string, string | number>> = [];
  for (const b of selected) {
    if (!existsSync(`${HERE}${b.script}`)) {
      outcomes.push({
        benchmark: b.name,
        result: `skipped: bench/${b.script} not present`,
        seconds: 0,
      });
      continue;
    }
    const left = TOTAL_BUDGET_SECONDS - (performance.now() - t0) / 1000;
    if (left < 30) {
      outcomes.push({ benchmark: b.name, result: 'skipped: total budget spent', seconds: 0 });
      continue;
    }
    console.log(`\n=== ${b.name} (bench/${b.script}) ===`);
    const started = performance.now();
    const r = await runOne(b, Math.min(b.deadlineSeconds, left));
    const result = r.timedOut
      ? 'stopped at its deadline'
      : r.code === 0
        ? 'ok'
        : `failed (${r.signal ?? `exit ${r.code}`})`;
    outcomes.push({
      benchmark: b.name,
      result,
      seconds: Math.round((performance.now() - started) / 1000),
    });
  }
  const total = Math.round((performance.now() - t0) / 1000);
  printTable(`Benchmark run: ${total} s in total (budget ${TOTAL_BUDGET_SECONDS} s)`, outcomes);
  const path = writeResults('run', { totalSeconds: total, outcomes });
  console.log(`\nwrote ${path}`);
  process.exit(
    outcomes.every((o) => o.result === 'ok' || String(o.result).startsWith('skipped: bench/'))
      ? 0
      : 1,
  );
}
