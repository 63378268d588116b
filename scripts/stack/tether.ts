/**
 * The supervisor's side of the watchdog (watchdog.ts): started on the first child, it learns
 * every child's PID and ends them if this process dies without stopping them.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const WATCHDOG = fileURLToPath(new URL('./watchdog.ts', import.meta.url));

let watchdog: ChildProcess | undefined;
let logFile: string | undefined;

/** Where the watchdog logs what it kills (set before the first child; default: nowhere). */
export function setWatchdogLog(file: string): void {
  logFile = file;
}

/** The watchdog's PID, once a child has been tethered. */
export function watchdogPid(): number | undefined {
  return watchdog?.pid;
}

function send(line: string): void {
  if (!watchdog) {
    watchdog = spawn(process.execPath, [WATCHDOG, ...(logFile ? [logFile] : [])], {
      // Its own session: a terminal's hang-up or Ctrl-C must not reach it.
      detached: true,
      stdio: ['pipe', 'ignore', 'ignore'],
    });
    // Neither the watchdog nor its pipe keeps this process alive; this process exiting (closing
    // the pipe) is the watchdog's signal.
    watchdog.unref();
    const stdin = watchdog.stdin as (NodeJS.WritableStream & { unref?: () => void }) | null;
    stdin?.unref?.();
    // A watchdog that died cannot be helped; writes to it must not crash the supervisor.
    stdin?.on('error', () => {});
  }
  watchdog.stdin?.write(`${line}\n`);
}

/** Has the watchdog end `pid`'s process group if this process dies; returns the release. */
export function tether(pid: number): () => void {
  send(`watch ${pid}`);
  return () => send(`forget ${pid}`);
}
