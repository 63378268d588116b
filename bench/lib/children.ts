/**
 * Every process a benchmark starts is registered here, so that it never outlives the benchmark:
 * on a normal end, an error, Ctrl-C or SIGTERM (from `bench/run.ts`'s deadline) each one is
 * killed by its PID, and every temporary directory registered is removed. The stack's children run in their own process groups, so a signal to our
 * group would not reach them.
 */
import { rmSync } from 'node:fs';
import type { Child } from '../../scripts/stack/child.ts';

const children = new Set<Child>();
const dirs = new Set<string>();
const exitHooks = new Set<() => void>();
let installed = false;

function killAll(): void {
  for (const child of children) child.signal('SIGKILL');
  children.clear();
  for (const hook of exitHooks) {
    try {
      hook();
    } catch (error) {
      console.error(`cleanup failed: ${error instanceof Error ? error.message : error}`);
    }
  }
  exitHooks.clear();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  dirs.clear();
}

function install(): void {
  if (installed) return;
  installed = true;
  // 'exit' handlers run synchronously: process.kill is synchronous, so this always happens.
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      console.error(`\n${signal}: stopping the benchmark's processes`);
      process.exit(130);
    });
  }
}

/** Registers `child` for cleanup; returns it. */
export function own<T extends Child>(child: T): T {
  install();
  children.add(child);
  void child.exited.then(() => children.delete(child));
  return child;
}

/**
 * Removes `dir` when the process exits, however it ends (finally blocks do not run on exit),
 * unless the benchmark was started with `--keep` (logs kept for a post-mortem).
 */
export function ownDir(dir: string): string {
  if (process.argv.includes('--keep')) return dir;
  install();
  dirs.add(dir);
  return dir;
}

/**
 * Runs `hook` (synchronous) when the process exits however it ends, Ctrl-C and SIGTERM included,
 * for resources that are not a `Child`: a node spawned directly, a cgroup. Returns the function
 * that unregisters it (call it once the resource is released normally).
 */
export function atExit(hook: () => void): () => void {
  install();
  exitHooks.add(hook);
  return () => exitHooks.delete(hook);
}

/** Registers every child of a stack as it is spawned (for `startStack`'s `onChild`). */
export const ownChild = (child: Child): void => {
  own(child);
};
