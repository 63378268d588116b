/** Writes a benchmark's results as JSON under bench/results/, with the machine and versions. */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function version(pkg: string): string {
  try {
    const text = readFileSync(`${ROOT}node_modules/${pkg}/package.json`, 'utf8');
    return (JSON.parse(text) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

export function machineInfo(): Record<string, unknown> {
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryBytes: os.totalmem(),
    // Others may share this machine: a busy one lowers every figure (1, 5, 15-minute averages).
    loadAverage: os.loadavg().map((v) => Math.round(v * 100) / 100),
    platform: `${os.platform()} ${os.release()}`,
    node: process.version,
    versions: { werift: version('werift'), wrangler: version('wrangler'), hono: version('hono') },
  };
}

/**
 * Which version of a source tree a run measured: a hash of every `.ts` file under `dir`
 * (relative to the repository root) and the newest modification time. The code under test may
 * change between runs (a shared working tree); this tells runs apart without git.
 */
export function sourceFingerprint(dir: string): { dir: string; sha256: string; newest: string } {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(`${ROOT}${d}`, { withFileTypes: true })) {
      const rel = `${d}/${e.name}`;
      if (e.isDirectory()) walk(rel);
      else if (e.name.endsWith('.ts')) files.push(rel);
    }
  };
  walk(dir);
  files.sort();
  const hash = createHash('sha256');
  let newest = 0;
  for (const f of files) {
    hash.update(f).update(readFileSync(`${ROOT}${f}`));
    newest = Math.max(newest, statSync(`${ROOT}${f}`).mtimeMs);
  }
  return { dir, sha256: hash.digest('hex').slice(0, 16), newest: new Date(newest).toISOString() };
}

/** Writes `bench/results/<name>-<timestamp>.json` and `<name>-latest.json`; returns the path. */
export function writeResults(name: string, body: Record<string, unknown>): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const at = new Date().toISOString();
  const text = `${JSON.stringify({ benchmark: name, at, machine: machineInfo(), ...body }, null, 2)}\n`;
  const path = `${RESULTS_DIR}${name}-${at.replace(/[:.]/g, '-')}.json`;
  writeFileSync(path, text);
  writeFileSync(`${RESULTS_DIR}${name}-latest.json`, text);
  return path;
}

/** Prints rows as an aligned text table. */
export function printTable(title: string, rows: Array<Record<string, string | number>>): void {
  console.log(`\n${title}`);
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0] as object);
  const cell = (v: string | number | undefined) =>
    typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(2)) : (v ?? '');
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  const line = (values: string[]) => values.map((v, i) => v.padStart(widths[i] ?? 0)).join('  ');
  console.log(line(columns));
  for (const row of rows) console.log(line(columns.map((c) => cell(row[c]))));
}
