/**
 * The local stack's watchdog: a small process that ends the stack's children when their
 * supervisor is gone, however it went (Ctrl-C, a closed terminal, a crash, `kill -9`).
 *
 * Why it exists: the children run detached, in their own process groups, so that a terminal's
 * Ctrl-C reaches only the supervisor, which then drains them in order. Nothing else would end
 * them if the supervisor died without stopping them. Node cannot set `PR_SET_PDEATHSIG` on a
 * child, and workerd cannot be changed to watch its parent. But the kernel closes every file
 * descriptor of a process however it dies, so a pipe from the supervisor reaches end-of-file
 * exactly when it is gone. This process holds the other end.
 *
 * Protocol on stdin (written by tether.ts): `watch <pid>` when a child is spawned,
 * `forget <pid>` once it exited. At end-of-file every remaining child's process group gets
 * SIGTERM (media nodes log a clean stop), then SIGKILL after {@link GRACE_MS}; then this exits.
 *
 * Usage (by tether.ts only): node scripts/stack/watchdog.ts [log-file]
 */
import { appendFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { processAlive } from './process-alive.ts';

/** How long children get to stop after SIGTERM before SIGKILL, in ms. */
const GRACE_MS = 3_000;
const POLL_MS = 50;

const logFile = process.argv[2];
const watched = new Set<number>();

function log(line: string): void {
  if (!logFile) return;
  try {
    appendFileSync(logFile, `${new Date().toISOString()} watchdog ${process.pid}: ${line}\n`);
  } catch {
    // Logging is a courtesy; the watchdog's job must not depend on it.
  }
}

/** Signals the child's process group (it is a group leader: spawned detached), then the PID. */
function signal(pid: number, name: NodeJS.Signals): void {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, name);
    } catch {
      // Already gone.
    }
  }
}

async function stopAll(): Promise<void> {
  const pids = [...watched].filter(processAlive);
  if (pids.length === 0) process.exit(0);
  log(`supervisor gone; stopping ${pids.join(', ')}`);
  for (const pid of pids) signal(pid, 'SIGTERM');
  const deadline = Date.now() + GRACE_MS;
  while (Date.now() < deadline && pids.some(processAlive)) {
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  const left = pids.filter(processAlive);
  if (left.length > 0) log(`killing ${left.join(', ')} after ${GRACE_MS} ms`);
  for (const pid of left) signal(pid, 'SIGKILL');
  process.exit(0);
}

createInterface({ input: process.stdin })
  .on('line', (line) => {
    const match = /^(watch|forget) (\d+)$/.exec(line.trim());
    if (!match) return;
    const pid = Number(match[2]);
    if (match[1] === 'watch') watched.add(pid);
    else watched.delete(pid);
  })
  .on('close', () => void stopAll());
