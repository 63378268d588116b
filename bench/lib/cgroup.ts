/**
 * A CPU limit for one process under test: a child cgroup of the cgroup v1 `cpu` controller with a
 * CFS quota, so that a server saturates below what the load generator on the other core can
 * drive. The benchmark creates it, moves the process in (all its threads: `cgroup.procs`) and
 * removes it at the end, on failure and on Ctrl-C too (`atExit`). Needs root and a writable
 * `/sys/fs/cgroup/cpu`; otherwise the benchmark runs without a limit and says why.
 *
 * Why a short period (10 ms by default, not the kernel's 100 ms): a throttled process sleeps for
 * the rest of the period, so with 0.35 of a core and 100 ms every packet and every event-loop
 * timer could wait up to 65 ms for nothing but the throttle. 10 ms bounds that stall at 6.5 ms,
 * which is closer to "a slower core" than to "a core that stops".
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { atExit } from './children.ts';

const V1_CPU_ROOT = '/sys/fs/cgroup/cpu';
/** The kernel refuses CFS quotas and periods below 1 ms and periods above 1 s. */
const MIN_US = 1_000;
const MAX_PERIOD_US = 1_000_000;
/** Removal retries while the last task finishes exiting: 30 x 100 ms. */
const RMDIR_ATTEMPTS = 30;
const RMDIR_RETRY_MS = 100;

export interface CpuQuota {
  /** CPU allowed, in cores (0.35 = 35 % of one core; above 1 spans cores). */
  cores: number;
  periodUs: number;
}

/** Throttling counters of the cgroup (`cpu.stat`), cumulative. */
export interface CpuThrottle {
  periods: number;
  throttledPeriods: number;
  throttledSeconds: number;
}

export interface CpuLimit {
  /** False when no cgroup could be set up: the process runs without a limit (`reason`). */
  readonly applied: boolean;
  readonly quota: CpuQuota;
  readonly quotaUs: number;
  readonly path: string | undefined;
  readonly reason: string | undefined;
  /** Moves `pid` (every thread) into the cgroup; false (and `reason` set) if it cannot. */
  attach(pid: number): boolean;
  throttle(): CpuThrottle | undefined;
  /** Moves any process left back to the root and removes the cgroup; idempotent. */
  remove(): void;
}

/** The CFS quota in microseconds per period for `cores`; throws on values the kernel refuses. */
export function cfsQuotaUs(q: CpuQuota): number {
  if (!Number.isInteger(q.periodUs) || q.periodUs < MIN_US || q.periodUs > MAX_PERIOD_US) {
    throw new Error(`CPU quota period must be ${MIN_US}..${MAX_PERIOD_US} us, got ${q.periodUs}`);
  }
  if (!Number.isFinite(q.cores) || q.cores <= 0) {
    throw new Error(`CPU quota must be a positive number of cores, got ${q.cores}`);
  }
  const us = Math.round(q.cores * q.periodUs);
  if (us < MIN_US) {
    throw new Error(
      `CPU quota ${q.cores} cores x ${q.periodUs} us = ${us} us per period, below the kernel's ` +
        `${MIN_US} us: use a longer period`,
    );
  }
  return us;
}

/** What the throttling counters grew by between two readings; undefined without both. */
export function throttleDelta(
  before: CpuThrottle | undefined,
  after: CpuThrottle | undefined,
): CpuThrottle | undefined {
  if (!before || !after) return undefined;
  return {
    periods: after.periods - before.periods,
    throttledPeriods: after.throttledPeriods - before.throttledPeriods,
    throttledSeconds: after.throttledSeconds - before.throttledSeconds,
  };
}

/** Parses cgroup v1 `cpu.stat` text; pure (unit-tested). */
export function parseCpuStat(text: string): CpuThrottle {
  const field = (name: string) => Number(new RegExp(`^${name} (\\d+)$`, 'm').exec(text)?.[1] ?? 0);
  return {
    periods: field('nr_periods'),
    throttledPeriods: field('nr_throttled'),
    throttledSeconds: field('throttled_time') / 1e9,
  };
}

/** Creates `/sys/fs/cgroup/cpu/<name>` with `quota`, or a not-applied limit saying why. */
export function createCpuLimit(name: string, quota: CpuQuota, root = V1_CPU_ROOT): CpuLimit {
  const quotaUs = cfsQuotaUs(quota);
  const path = `${root}/${name}`;
  let reason: string | undefined;
  let created = false;
  let removed = false;
  let unregister = () => {};
  const remove = () => {
    if (removed || !created) return;
    removed = true;
    unregister();
    // rmdir fails (EBUSY) while tasks remain, a process still exiting after SIGKILL included:
    // hand live ones back to the root cgroup, and give dying ones a moment (synchronously, as
    // this also runs in an exit handler).
    let lastError: unknown;
    for (let attempt = 0; attempt < RMDIR_ATTEMPTS; attempt++) {
      for (const file of ['cgroup.procs', 'tasks']) {
        try {
          for (const pid of readFileSync(`${path}/${file}`, 'utf8').split('\n')) {
            if (pid) writeFileSync(`${root}/${file}`, pid);
          }
        } catch {
          // A task that exited in between: nothing to move.
        }
      }
      try {
        rmdirSync(path);
        return;
      } catch (error) {
        lastError = error;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, RMDIR_RETRY_MS);
      }
    }
    console.error(`could not remove cgroup ${path}: ${message(lastError)} (remove it by hand)`);
  };
  if (!existsSync(`${root}/cpu.cfs_quota_us`)) {
    reason = `no cgroup v1 cpu controller at ${root}`;
  } else {
    try {
      mkdirSync(path);
      created = true;
      unregister = atExit(remove);
      writeFileSync(`${path}/cpu.cfs_period_us`, String(quota.periodUs));
      writeFileSync(`${path}/cpu.cfs_quota_us`, String(quotaUs));
    } catch (error) {
      reason = `cannot set up ${path}: ${message(error)}`;
      remove();
    }
  }
  return {
    get applied() {
      return reason === undefined && !removed;
    },
    quota,
    quotaUs,
    path: created ? path : undefined,
    get reason() {
      return reason;
    },
    attach(pid) {
      if (reason !== undefined || removed) return false;
      try {
        writeFileSync(`${path}/cgroup.procs`, String(pid));
        return true;
      } catch (error) {
        reason = `cannot move pid ${pid} into ${path}: ${message(error)}`;
        remove();
        return false;
      }
    },
    throttle() {
      if (!created || removed) return undefined;
      try {
        return parseCpuStat(readFileSync(`${path}/cpu.stat`, 'utf8'));
      } catch {
        return undefined;
      }
    },
    remove,
  };
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));
