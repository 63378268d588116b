/**
 * The `janus` path of the forwarding benchmark: when Debian's `janus` is installed, the same
 * step loop (run-mode.ts) on Janus instead of a media node, run by a child harness
 * (janus-child.ts) in a private network namespace (`unshare -n`) whose only interface is
 * loopback: Janus skips loopback interfaces for ICE unless nothing else is up, and nothing may
 * leave this machine. Janus, its peers and the child live and die in that namespace; the child
 * is ended by PID (SIGTERM, it then kills Janus) however the benchmark ends, and both have a
 * parent-death signal set should their parent be killed outright.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { atExit, ownDir } from '../../lib/children.ts';
import type { ModeOptions, ModeResult } from '../run-mode.ts';
import { JANUS_BIN } from './config.ts';

/**
 * In the new namespace: loopback up, and 127.0.0.1 moved from `lo` (flagged LOOPBACK, which
 * Janus's candidate gathering skips) to one end of a veth pair (the machine has no `dummy` link
 * type; both ends up for a carrier), so that 127.0.0.1 is still the only
 * address (IPv6 off) and traffic to it is still local delivery, but Janus offers it.
 */
const NAMESPACE_SETUP = [
  'set -e',
  'ip link set lo up',
  'sysctl -q -w net.ipv6.conf.all.disable_ipv6=1',
  'ip link add bench0 type veth peer name bench1',
  'ip link set bench0 up',
  'ip link set bench1 up',
  'ip addr del 127.0.0.1/8 dev lo',
  'ip addr add 127.0.0.1/8 dev bench0',
  'exec "$@"',
].join('\n');
const CHILD = fileURLToPath(new URL('./janus-child.ts', import.meta.url));

/**
 * Runs the Janus path; undefined (and the reason logged) when Janus is not installed or the
 * path failed.
 */
export async function runJanusPath(
  mode: ModeOptions,
  bin = JANUS_BIN,
): Promise<ModeResult | undefined> {
  if (!existsSync(bin)) {
    mode.log('janus not installed, skipped');
    return undefined;
  }
  const dir = ownDir(mkdtempSync(join(os.tmpdir(), 'bench-janus-run-')));
  const optionsFile = join(dir, 'options.json');
  const resultFile = join(dir, 'result.json');
  const { log, startRig, ...options } = mode;
  writeFileSync(optionsFile, JSON.stringify(options));
  // setpriv --pdeathsig: the child gets SIGTERM even if this process is SIGKILLed (setpriv,
  // unshare without --fork and sh all exec, so the signal setting reaches the harness).
  const child = spawn(
    'setpriv',
    [
      '--pdeathsig',
      'TERM',
      'unshare',
      '-n',
      '--',
      'sh',
      '-c',
      NAMESPACE_SETUP,
      'sh',
      process.execPath,
      CHILD,
      optionsFile,
      resultFile,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error('could not start the janus harness');
  let done = false;
  const unregister = atExit(() => {
    if (!done) child.kill('SIGTERM');
    // The child's cgroup for Janus (janus-rig.ts), should the child have been killed outright.
    try {
      rmdirSync(`/sys/fs/cgroup/cpu/janus-bench-${pid}`);
    } catch {
      // Removed by the child, or never created.
    }
  });
  let stderr = '';
  let partial = '';
  child.stdout?.on('data', (c: Buffer) => {
    const lines = (partial + c.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) log(line);
  });
  child.stderr?.on('data', (c: Buffer) => {
    stderr = (stderr + c.toString()).slice(-4000);
  });
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  done = true;
  unregister();
  if (partial) log(partial);
  if (code !== 0 || !existsSync(resultFile)) {
    // The other paths of the run still stand: say why this one has no rows.
    log(`janus path FAILED (harness exit ${code}):\n${stderr.trim().slice(-2000)}`);
    return undefined;
  }
  return JSON.parse(readFileSync(resultFile, 'utf8')) as ModeResult;
}
