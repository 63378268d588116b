/**
 * Issue 12 item 12: `npm start`'s processes live and die with it. Runs the real `npm start`
 * script (scripts/start.ts) as a child process on free ports, in a temporary state directory:
 * - `kill -9` of the supervisor: every process it reported is gone and its ports are free
 *   within seconds (the watchdog ends them);
 * - SIGHUP (a closed terminal) drains and stops everything like Ctrl-C, exit 0;
 * - a busy port (an old stack's edge still answering `/healthz`): exit 1 naming the port,
 *   never `ready`.
 * Cleans up by PID only, also when a test fails.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCAL_TURN_PORT } from '../scripts/stack/local-turn.ts';
import { assertPortsFree } from '../scripts/stack/ports.ts';
import { processAlive } from '../scripts/stack/process-alive.ts';
import { ROOT } from '../scripts/stack/stack.ts';
import { freePorts } from './support/free-port.ts';

/** How long the stack's processes may outlive a killed supervisor, in ms. */
const GONE_WITHIN_MS = 6_000;

interface StartRun {
  process: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  ports: number[];
}

const runs: StartRun[] = [];
const reported = new Set<number>();
const dirs: string[] = [];
const servers: Server[] = [];

afterEach(async () => {
  for (const run of runs.splice(0)) {
    if (run.process.exitCode === null && run.process.signalCode === null) {
      run.process.kill('SIGKILL');
    }
  }
  for (const pid of reported) {
    if (processAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  reported.clear();
  for (const server of servers.splice(0)) await new Promise((r) => server.close(r));
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function startScript(ports: number[]): Promise<StartRun> {
  const workDir = await mkdtemp(join(tmpdir(), 'stack-lifecycle-'));
  dirs.push(workDir);
  const [edgePort, ...nodePorts] = ports;
  const child = spawn(
    process.execPath,
    [
      join(ROOT, 'scripts/start.ts'),
      '--edge-port',
      String(edgePort),
      '--node-ports',
      nodePorts.join(','),
      '--work-dir',
      workDir,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const run = { process: child, output: () => output, exited, ports };
  runs.push(run);
  return run;
}

async function until(what: string, timeoutMs: number, probe: () => boolean): Promise<number> {
  const started = performance.now();
  while (!probe()) {
    if (performance.now() - started > timeoutMs) throw new Error(`${what}: not in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return performance.now() - started;
}

/** Waits for `ready` and returns the processes the supervisor reported, by name. */
async function ready(run: StartRun): Promise<Map<string, number>> {
  await until('ready', 100_000, () => {
    if (run.process.exitCode !== null) throw new Error(`start exited:\n${run.output()}`);
    return /^ready$/m.test(run.output());
  });
  const line = /^processes\s+(.*)$/m.exec(run.output())?.[1] ?? '';
  const pids = new Map<string, number>();
  for (const [, name, pid] of line.matchAll(/([\w-]+) (\d+)/g)) {
    pids.set(name ?? '', Number(pid));
    reported.add(Number(pid));
  }
  return pids;
}

async function portsFree(ports: number[]): Promise<boolean> {
  try {
    await assertPortsFree(
      '127.0.0.1',
      ports.map((port) => ({ name: 'test', port })),
    );
    return true;
  } catch {
    return false;
  }
}

describe('npm start lifecycle', () => {
  it('kill -9 of the supervisor ends every process it reported and frees its ports', async () => {
    const ports = await freePorts(3);
    const run = await startScript(ports);
    const pids = await ready(run);
    const [edgePort, nodeA, nodeB] = ports;
    // coturn runs when installed and its port (3478) was free; the summary says which.
    const withCoturn = /^turn\s+.*\(coturn, pid \d+\)$/m.test(run.output());
    expect([...pids.keys()].sort()).toEqual(
      [
        'edge',
        `node-${nodeA}`,
        `node-${nodeB}`,
        'supervisor',
        'watchdog',
        ...(withCoturn ? ['coturn'] : []),
      ].sort(),
    );
    expect(pids.get('supervisor')).toBe(run.process.pid);
    expect(await portsFree([edgePort ?? 0])).toBe(false);

    run.process.kill('SIGKILL');
    await run.exited;
    const goneMs = await until('every reported process gone', GONE_WITHIN_MS, () =>
      [...pids.values()].every((pid) => !processAlive(pid)),
    );
    expect(await portsFree(withCoturn ? [...ports, LOCAL_TURN_PORT] : ports)).toBe(true);
    console.log(`after kill -9 of the supervisor: all processes gone in ${Math.round(goneMs)} ms`);
  });

  it('SIGHUP (a closed terminal) drains and stops everything, exit 0', async () => {
    const ports = await freePorts(3);
    const run = await startScript(ports);
    const pids = await ready(run);
    run.process.kill('SIGHUP');
    const { code } = await run.exited;
    expect(run.output()).toMatch(/SIGHUP: stopping/);
    expect(code).toBe(0);
    await until('every reported process gone', GONE_WITHIN_MS, () =>
      [...pids.values()].every((pid) => !processAlive(pid)),
    );
    expect(await portsFree(ports)).toBe(true);
  });

  it('refuses a busy port with exit 1 naming it, and never says ready', async () => {
    const ports = await freePorts(3);
    const [edgePort] = ports;
    // What an orphaned old stack looks like from here: something answering /healthz with 200.
    const old = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"ok"}');
    });
    servers.push(old);
    await new Promise<void>((resolve) => old.listen(edgePort, '127.0.0.1', resolve));

    const run = await startScript(ports);
    const { code } = await run.exited;
    expect(code).toBe(1);
    expect(run.output()).toContain(`port ${edgePort} (edge) on 127.0.0.1 is already in use`);
    expect(run.output()).not.toMatch(/^ready$/m);
    // Nothing was started: the node ports stayed free.
    expect(await portsFree(ports.slice(1))).toBe(true);
  });
});
