/**
 * The guide's own measurement, `hey -n 10000 -c 100 -H "authorization: Bearer $TOKEN" <url>`,
 * when `hey` (Debian package) is installed: its figures are reported beside the guide's claim.
 */
import { spawn, spawnSync } from 'node:child_process';

export interface HeyResult {
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Responses by status code. */
  statuses: Record<string, number>;
  totalSeconds: number;
}

export function heyAvailable(): boolean {
  return spawnSync('hey', ['-h']).error === undefined;
}

/** Parses hey's text summary; pure (unit-tested). */
export function parseHey(out: string): HeyResult {
  const pct = (p: string) => {
    const m = new RegExp(`^\\s+${p}% in ([\\d.]+) secs`, 'm').exec(out);
    return m?.[1] ? Math.round(Number(m[1]) * 10_000) / 10 : Number.NaN;
  };
  const statuses: Record<string, number> = {};
  for (const m of out.matchAll(/^\s+\[(\d{3})\]\s+(\d+) responses/gm)) {
    if (m[1] && m[2]) statuses[m[1]] = Number(m[2]);
  }
  return {
    reqPerSec: Number(/^\s+Requests\/sec:\s+([\d.]+)/m.exec(out)?.[1] ?? Number.NaN),
    p50Ms: pct('50'),
    p99Ms: pct('99'),
    statuses,
    totalSeconds: Number(/^\s+Total:\s+([\d.]+) secs/m.exec(out)?.[1] ?? Number.NaN),
  };
}

export async function runHey(o: {
  url: string;
  token: string;
  requests: number;
  connections: number;
}): Promise<HeyResult> {
  const args = ['-n', String(o.requests), '-c', String(o.connections)];
  args.push('-H', `authorization: Bearer ${o.token}`, o.url);
  const child = spawn('hey', args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const kill = () => child.kill('SIGKILL');
  process.once('exit', kill);
  let out = '';
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  await new Promise((resolve) => child.once('exit', resolve));
  process.removeListener('exit', kill);
  return parseHey(out);
}
