/**
 * Offer -> connected times measured through the whole stack, collected across test files in
 * `test-artifacts/setup-times.jsonl` and summarised (p50, max) at the end of the run.
 */
import { appendFile, mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ROOT } from '../../scripts/stack/stack.ts';

export const ARTIFACTS = join(ROOT, 'test-artifacts');
const FILE = join(ARTIFACTS, 'setup-times.jsonl');

export interface SetupTime {
  test: string;
  client: 'werift' | 'chromium';
  /** POST offer -> local peer connection `connected`, in ms. */
  offerToConnectedMs: number;
  /** POST offer -> the edge's `state: connected` event, in ms, when it came. */
  offerToServerConnectedMs?: number;
}

export async function recordSetupTime(time: SetupTime): Promise<void> {
  await mkdir(ARTIFACTS, { recursive: true });
  await appendFile(FILE, `${JSON.stringify(time)}\n`);
}

export async function resetSetupTimes(): Promise<void> {
  await rm(FILE, { force: true });
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, index)] ?? Number.NaN;
}

export function summarize(times: SetupTime[]): string {
  const lines: string[] = [];
  for (const client of ['werift', 'chromium', 'all'] as const) {
    const picked = times.filter((t) => client === 'all' || t.client === client);
    if (picked.length === 0) continue;
    const local = picked.map((t) => t.offerToConnectedMs).sort((a, b) => a - b);
    const server = picked
      .flatMap((t) =>
        t.offerToServerConnectedMs === undefined ? [] : [t.offerToServerConnectedMs],
      )
      .sort((a, b) => a - b);
    const fmt = (v: number) => `${Math.round(v)} ms`;
    lines.push(
      `offer -> connected (${client}, n=${local.length}): p50 ${fmt(percentile(local, 50))}, max ${fmt(local.at(-1) ?? Number.NaN)}` +
        (server.length
          ? `; edge state connected: p50 ${fmt(percentile(server, 50))}, max ${fmt(server.at(-1) ?? Number.NaN)}`
          : ''),
    );
  }
  return lines.join('\n');
}

export async function printSetupTimes(): Promise<void> {
  const text = await readFile(FILE, 'utf8').catch(() => '');
  const times = text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as SetupTime);
  if (times.length > 0) console.log(`\n${summarize(times)}\n`);
}
