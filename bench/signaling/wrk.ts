/**
 * Cross-check with wrk (Debian package `wrk`, C, little CPU of its own) when it is installed:
 * the same route at the same concurrency as autocannon, so a generator bottleneck would show as
 * a gap between the two. Optional: `npm run bench` needs only what `npm ci` installs.
 */
import { spawn, spawnSync } from 'node:child_process';
import { cpuSeconds } from '../lib/proc.ts';

export interface WrkResult {
  reqPerSec: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  non2xx: number;
  generatorCpuSeconds: number;
}

export function wrkAvailable(): boolean {
  return spawnSync('wrk', ['--version']).error === undefined;
}

/** `1.23ms`, `850.00us`, `1.02s` -> milliseconds. */
export function wrkDurationMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!m) return Number.NaN;
  const factor = { us: 0.001, ms: 1, s: 1000, m: 60_000 }[m[2] as 'us' | 'ms' | 's' | 'm'];
  return Number(m[1]) * factor;
}

/** Parses wrk's text report (run with `--latency`); pure (unit-tested). */
export function parseWrk(out: string): Omit<WrkResult, 'generatorCpuSeconds'> {
  const pct = (p: string) => {
    const m = new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(out);
    return m?.[1] ? wrkDurationMs(m[1]) : Number.NaN;
  };
  const max = /^\s+Latency\s+\S+\s+\S+\s+(\S+)/m.exec(out);
  return {
    reqPerSec: Number(/^Requests\/sec:\s+([\d.]+)/m.exec(out)?.[1] ?? Number.NaN),
    latencyMs: {
      p50: pct('50'),
      p90: pct('90'),
      p99: pct('99'),
      max: max?.[1] ? wrkDurationMs(max[1]) : Number.NaN,
    },
    non2xx: Number(/^\s*Non-2xx or 3xx responses:\s+(\d+)/m.exec(out)?.[1] ?? 0),
  };
}

export async function runWrk(o: {
  url: string;
  headers: Record<string, string>;
  connections: number;
  seconds: number;
}): Promise<WrkResult> {
  const args = ['-t1', `-c${o.connections}`, `-d${o.seconds}s`, '--latency', '--timeout', '10s'];
  for (const [k, v] of Object.entries(o.headers)) args.push('-H', `${k}: ${v}`);
  const child = spawn('wrk', [...args, o.url], { stdio: ['ignore', 'pipe', 'inherit'] });
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  // /proc is gone once it exits: sample its CPU until then.
  let cpu = 0;
  const sampler = setInterval(() => {
    try {
      if (child.pid) cpu = cpuSeconds(child.pid);
    } catch {
      // exited between samples
    }
  }, 100);
  await new Promise((resolve) => child.once('exit', resolve));
  clearInterval(sampler);
  process.removeListener('exit', kill);
  return { ...parseWrk(out), generatorCpuSeconds: cpu };
}
