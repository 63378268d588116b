/**
 * Admission by measured load, not session count: the node refuses new sessions while its event
 * loop is late (the forwarding budget is spent), so that the sessions it has keep their ICE
 * consent checks and DTLS timers (PLATFORM-NOTES: past saturation stock werift lost every
 * session when consent expired). Lag is sampled with `monitorEventLoopDelay` over windows of
 * `WINDOW_MS`; the node is overloaded while the p99 of the last complete window exceeds the
 * threshold (config `overloadLagMs`, env `OVERLOAD_LAG_MS`, default 400 ms; 0 disables refusals,
 * not the measurement, which worker threads also report as their load).
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

type IntervalHistogram = ReturnType<typeof monitorEventLoopDelay>;

const WINDOW_MS = 1_000;
export class LoadGuard {
  readonly thresholdMs: number;
  /** p99 event-loop lag of the last complete window, ms. */
  lastP99Ms = 0;
  /** Busy fraction of this thread's core over the last complete window, 0..1. */
  lastCpu = 0;
  #cpuMark = process.threadCpuUsage();
  #wallMark = performance.now();
  readonly #histogram: IntervalHistogram;
  #timer: NodeJS.Timeout | undefined;

  constructor(thresholdMs: number) {
    this.thresholdMs = thresholdMs;
    this.#histogram = monitorEventLoopDelay({ resolution: 10 });
    this.#histogram.enable();
    this.#timer = setInterval(() => this.#sample(), WINDOW_MS).unref();
  }

  /** True while new sessions should be refused. */
  get overloaded(): boolean {
    return this.thresholdMs > 0 && this.lastP99Ms > this.thresholdMs;
  }

  close(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#histogram.disable();
  }

  #sample(): void {
    const h = this.#histogram;
    this.lastP99Ms = h.percentile(99) / 1e6;
    h.reset();
    const cpu = process.threadCpuUsage(this.#cpuMark);
    const now = performance.now();
    this.lastCpu = Math.min(1, (cpu.user + cpu.system) / 1000 / Math.max(1, now - this.#wallMark));
    this.#cpuMark = process.threadCpuUsage();
    this.#wallMark = now;
  }
}
