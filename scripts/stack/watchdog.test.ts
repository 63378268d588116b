/**
 * The watchdog process on its own (the whole stack under `kill -9`: test/stack-lifecycle.test.ts):
 * stdin's end-of-file ends the children it watches, and only those.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { processAlive } from './process-alive.ts';

const WATCHDOG = fileURLToPath(new URL('./watchdog.ts', import.meta.url));
const started: ChildProcess[] = [];

afterEach(() => {
  for (const child of started.splice(0)) {
    if (child.pid !== undefined && processAlive(child.pid)) process.kill(child.pid, 'SIGKILL');
  }
});

/** A child like the stack's: detached (its own process group), outliving this test unless ended. */
function sleeper(): number {
  const child = spawn('sleep', ['60'], { detached: true, stdio: 'ignore' });
  started.push(child);
  if (child.pid === undefined) throw new Error('could not spawn sleep');
  return child.pid;
}

function startWatchdog(): ChildProcess {
  const watchdog = spawn(process.execPath, [WATCHDOG], { stdio: ['pipe', 'ignore', 'inherit'] });
  started.push(watchdog);
  return watchdog;
}

async function until(probe: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}

describe('watchdog', () => {
  it('ends the watched children when its stdin closes, and then exits', async () => {
    const a = sleeper();
    const b = sleeper();
    const watchdog = startWatchdog();
    const exited = new Promise((resolve) => watchdog.once('exit', resolve));
    watchdog.stdin?.end(`watch ${a}\nwatch ${b}\n`);
    expect(await until(() => !processAlive(a) && !processAlive(b), 5_000)).toBe(true);
    await exited;
  });

  it('leaves alone a child it was told to forget', async () => {
    const kept = sleeper();
    const ended = sleeper();
    const watchdog = startWatchdog();
    const exited = new Promise((resolve) => watchdog.once('exit', resolve));
    watchdog.stdin?.end(`watch ${kept}\nwatch ${ended}\nforget ${kept}\n`);
    await exited;
    expect(processAlive(ended)).toBe(false);
    expect(processAlive(kept)).toBe(true);
  });
});
