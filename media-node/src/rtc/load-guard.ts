/**
 * Overload control by measured load, not session count (issue 7: never collapse).
 *
 * Why: past saturation a node falls behind its sockets; datagrams queue in the kernel, delay
 * grows to seconds, the receive buffers overflow and drop STUN with the media, and 30 s later
 * every session's ICE consent expires (PLATFORM-NOTES; the forwarding benchmark's overload curve
 * shows it). Event-loop lag alone does not see this: the loop still turns between batches of
 * datagrams, so timers stay roughly on time while the sockets fall behind. Event-loop
 * utilization (the busy fraction of the loop, `performance.eventLoopUtilization`) does: it nears
 * 1 as the loop stops going idle.
 *
 * Two lines of defence, measured over windows of `WINDOW_MS` (one per thread: each worker has
 * its own):
 * - admission: new sessions are refused while the last window's utilization is above
 *   `overloadUtilization` (env `OVERLOAD_UTILIZATION_PCT`, default 85 %) or its lag p99 is
 *   above `overloadLagMs` (env `OVERLOAD_LAG_MS`, default 400 ms); 0 disables either. The
 *   utilization is the window's scaled by the sessions admitted since (a burst of joins inside
 *   one window would otherwise all pass on the same stale figure);
 * - shedding: load can still grow after admission (a new publisher in a big room multiplies the
 *   forwarding). After `SHED_AFTER_WINDOWS` windows in a row at `SATURATED_UTILIZATION` or more,
 *   `saturated` turns true and the registry closes its newest sessions with `node_overloaded`
 *   (clients rejoin elsewhere), protecting the ones it had first.
 */
import { type EventLoopUtilization, monitorEventLoopDelay, performance } from 'node:perf_hooks';

type IntervalHistogram = ReturnType<typeof monitorEventLoopDelay>;

const WINDOW_MS = 1_000;
/** Utilization at which the loop has no idle time left: past it, sockets fall behind. */
export const SATURATED_UTILIZATION = 0.97;
/** Saturated windows in a row before shedding (a burst of DTLS handshakes lasts less). */
export const SHED_AFTER_WINDOWS = 3;
/** Below this many sessions a window's utilization is mostly fixed costs: not scaled. */
const MIN_SESSIONS_TO_SCALE = 10;

/** One window's measurements. */
export interface LoadSample {
  /** Event-loop lag p99, ms. */
  lagP99Ms: number;
  /** Event-loop utilization, 0..1. */
  utilization: number;
  /** Busy fraction of this thread's core, 0..1. */
  cpu: number;
}

export interface LoadLimits {
  /** Refuse new sessions above this lag p99, ms; 0 = off. */
  lagMs: number;
  /** Refuse new sessions above this utilization, 0..1; 0 = off. */
  utilization: number;
}

export class LoadGuard {
  readonly limits: LoadLimits;
  /** The last complete window. */
  last: LoadSample = { lagP99Ms: 0, utilization: 0, cpu: 0 };
  /** Saturated windows in a row (reset by `shed`, so the next shed waits for fresh evidence). */
  saturatedWindows = 0;
  /** Called after every window (the registry sheds from here). */
  onWindow: (() => void) | undefined;
  readonly #histogram: IntervalHistogram;
  #elu: EventLoopUtilization = performance.eventLoopUtilization();
  #cpuMark = process.threadCpuUsage();
  #wallMark = performance.now();
  #timer: NodeJS.Timeout | undefined;
  readonly #sessions: () => number;
  #sessionsAtWindow = 0;
  #admittedSinceWindow = 0;

  /** `sessions` counts what this guard protects (read at the end of every window). */
  constructor(limits: LoadLimits, sessions: () => number) {
    this.limits = limits;
    this.#sessions = sessions;
    this.#histogram = monitorEventLoopDelay({ resolution: 10 });
    this.#histogram.enable();
    this.#timer = setInterval(() => this.record(this.#measure()), WINDOW_MS).unref();
  }

  /** True while new sessions should be refused. */
  get overloaded(): boolean {
    const { lagMs, utilization } = this.limits;
    return (
      (lagMs > 0 && this.last.lagP99Ms > lagMs) ||
      (utilization > 0 && this.expectedUtilization > utilization)
    );
  }

  /** The last window's utilization scaled by the sessions admitted since it ended. */
  get expectedUtilization(): number {
    const base = this.#sessionsAtWindow;
    if (base < MIN_SESSIONS_TO_SCALE) return this.last.utilization;
    return (this.last.utilization * (base + this.#admittedSinceWindow)) / base;
  }

  /** A session was admitted (counts towards `expectedUtilization` until the next window). */
  admitted(): void {
    this.#admittedSinceWindow++;
  }

  /** True once the loop has been saturated for `SHED_AFTER_WINDOWS` windows in a row. */
  get saturated(): boolean {
    return this.saturatedWindows >= SHED_AFTER_WINDOWS;
  }

  /** Takes one window's measurements (the timer's; tests feed their own). */
  record(sample: LoadSample): void {
    this.last = sample;
    this.#sessionsAtWindow = this.#sessions();
    this.#admittedSinceWindow = 0;
    this.saturatedWindows =
      sample.utilization >= SATURATED_UTILIZATION ? this.saturatedWindows + 1 : 0;
    this.onWindow?.();
  }

  /** Sessions were shed: the next shed needs `SHED_AFTER_WINDOWS - 1` more saturated windows. */
  shed(): void {
    this.saturatedWindows = 1;
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#histogram.disable();
  }

  #measure(): LoadSample {
    const h = this.#histogram;
    const lagP99Ms = h.percentile(99) / 1e6;
    h.reset();
    const elu = performance.eventLoopUtilization();
    const utilization = performance.eventLoopUtilization(elu, this.#elu).utilization;
    this.#elu = elu;
    const cpuUsed = process.threadCpuUsage(this.#cpuMark);
    const now = performance.now();
    const cpu = Math.min(
      1,
      (cpuUsed.user + cpuUsed.system) / 1000 / Math.max(1, now - this.#wallMark),
    );
    this.#cpuMark = process.threadCpuUsage();
    this.#wallMark = now;
    return { lagP99Ms, utilization, cpu };
  }
}
