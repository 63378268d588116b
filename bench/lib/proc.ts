/** Process resource readings from /proc (Linux), for measuring servers and load generators. */
import { readFileSync } from 'node:fs';

const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ on Linux

/** User + system CPU seconds consumed so far by `pid` (its threads included). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / CLOCK_TICKS_PER_SECOND;
}

/** Resident set size of `pid`, in bytes. */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /VmRSS:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) * 1024 : 0;
}

/** Measures the CPU `pid` spends between `start()` and `stop()`, as a share of one core. */
export class CpuMeter {
  readonly #pid: number;
  #cpu0 = 0;
  #t0 = 0;

  constructor(pid: number) {
    this.#pid = pid;
  }

  start(): void {
    this.#cpu0 = cpuSeconds(this.#pid);
    this.#t0 = performance.now();
  }

  /** CPU seconds used and the busy fraction of one core since `start()`. */
  stop(): { cpuSeconds: number; wallSeconds: number; coreShare: number } {
    const used = cpuSeconds(this.#pid) - this.#cpu0;
    const wall = (performance.now() - this.#t0) / 1000;
    return { cpuSeconds: used, wallSeconds: wall, coreShare: wall > 0 ? used / wall : 0 };
  }
}
