/**
 * A real Prometheus (the Debian package's /usr/bin/prometheus) for tests, configured from the
 * committed ops/prometheus files: the scrape config, the alert rules and the file-based node
 * targets, with only the targets, the edge token and the intervals replaced. Everything lives in
 * a temporary directory that `stop()` removes, after ending the process it started (by PID).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePorts } from './free-port.ts';

export const PROMETHEUS_BIN = '/usr/bin/prometheus';
const OPS_DIR = fileURLToPath(new URL('../../ops/prometheus/', import.meta.url));

export interface PrometheusTargets {
  /** `host:port` of the edge (its metrics path and token come from the committed config). */
  edge: string;
  /** `host:port` of every media node. */
  nodes: string[];
  /** An admin token for the edge's metrics endpoint. */
  edgeToken: string;
  /** Scrape and rule evaluation interval, e.g. `1s`. */
  interval: string;
}

/** One sample of an instant query: labels and the value as Prometheus prints it. */
export interface QuerySample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface RuleHealth {
  name: string;
  /** The expression as Prometheus parsed and prints it. */
  query: string;
  health: string;
  lastError?: string;
}

export interface PrometheusServer {
  url: string;
  pid: number;
  /** Instant query; throws with Prometheus' error text when the expression does not parse. */
  query(expr: string): Promise<QuerySample[]>;
  /** Every rule of every group, with its health (`ok`, `unknown`, `err`). */
  rules(): Promise<RuleHealth[]>;
  /** Prometheus' own log, for failure messages. */
  log(): string;
  /** Ends the process (SIGTERM, SIGKILL after 5 s) and removes the temporary directory. */
  stop(): Promise<void>;
}

/** Replaces `from` with `to` in `text`; throws when `from` is absent, so drift is loud. */
function replaceOnce(text: string, from: string | RegExp, to: string): string {
  const next = text.replace(from, to);
  if (next === text) throw new Error(`prometheus.yml no longer contains ${String(from)}`);
  return next;
}

/** The committed scrape config with the test's intervals and edge target. */
export function testConfig(committed: string, t: PrometheusTargets): string {
  let text = replaceOnce(committed, /scrape_interval: \S+/, `scrape_interval: ${t.interval}`);
  text = replaceOnce(text, /evaluation_interval: \S+/, `evaluation_interval: ${t.interval}`);
  text = replaceOnce(text, /refresh_interval: \S+/, `refresh_interval: ${t.interval}`);
  return replaceOnce(text, '- targets: ["127.0.0.1:8787"]', `- targets: ["${t.edge}"]`);
}

export async function startPrometheus(t: PrometheusTargets): Promise<PrometheusServer> {
  const dir = await mkdtemp(join(tmpdir(), 'prometheus-test-'));
  const [port] = await freePorts(1);
  const url = `http://127.0.0.1:${port}`;
  let child: ChildProcess | undefined;
  let output = '';
  const stop = async () => {
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = once(child, 'exit');
      process.kill(child.pid as number, 'SIGTERM');
      const timer = setTimeout(() => child?.pid && process.kill(child.pid, 'SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    // Relative paths in the config (rules, token, targets) resolve against its directory.
    await mkdir(join(dir, 'targets'));
    await copyFile(join(OPS_DIR, 'alerts.yml'), join(dir, 'alerts.yml'));
    await writeFile(join(dir, 'edge-admin-token'), `${t.edgeToken}\n`, { mode: 0o600 });
    await writeFile(
      join(dir, 'targets', 'media-nodes.json'),
      JSON.stringify([{ targets: t.nodes, labels: { env: 'test' } }]),
    );
    const committed = await readFile(join(OPS_DIR, 'prometheus.yml'), 'utf8');
    await writeFile(join(dir, 'prometheus.yml'), testConfig(committed, t));
    child = spawn(
      PROMETHEUS_BIN,
      [
        `--config.file=${join(dir, 'prometheus.yml')}`,
        `--storage.tsdb.path=${join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const collect = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    await waitReady(url, child, () => output);
  } catch (error) {
    await stop();
    throw error;
  }
  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(5_000) });
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`${path}: ${body.error ?? res.status}`);
    return body.data;
  };
  return {
    url,
    pid: child.pid as number,
    query: async (expr) => {
      const data = await api<{ resultType: string; result: QuerySample[] }>(
        `/api/v1/query?query=${encodeURIComponent(expr)}`,
      );
      if (data.resultType !== 'vector') throw new Error(`${expr}: ${data.resultType} result`);
      return data.result;
    },
    rules: async () => {
      const data = await api<{ groups: Array<{ rules: RuleHealth[] }> }>('/api/v1/rules');
      return data.groups.flatMap((g) => g.rules);
    },
    log: () => output,
    stop,
  };
}

async function waitReady(url: string, child: ChildProcess, log: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`prometheus exited ${child.exitCode}: ${log()}`);
    const ok = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1_000) })
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`prometheus not ready within 20 s: ${log()}`);
}
