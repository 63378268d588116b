/**
 * Forwarding-path metrics (issue 7): subscribers per forwarder path, fast-path fallbacks by
 * bounded reason, and the SRTP backend in use. Registered by `createMetrics` (metrics.ts).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { FAST_SEND_MODES, type FastSendStats } from '../fast/fast-send.ts';
import { srtpBackend } from '../fast/srtp.ts';

/** The live counts the gauges read at scrape time (rtc/forwarding.ts `Forwarding`). */
export interface ForwardingSource {
  live: { fast: number; stock: number; pending: number };
  /** Simulcast layer switches of subscribers so far (never reset). */
  switches?: { up: number; down: number };
  /** The fast path's UDP send mode and batch counters (fast-send.ts). */
  fast?: { sendStats(): Readonly<FastSendStats> };
}

const SEND_ERROR_REASONS = ['eagain', 'enobufs', 'other'] as const;

export function createForwardingMetrics(registers: Registry[]) {
  let source: ForwardingSource | undefined;
  const backend = new Gauge({
    name: 'media_srtp_backend',
    help: 'SRTP implementation of the fast path: 1 for the one in use (native addon or js)',
    labelNames: ['backend'] as const,
    registers,
    // Every thread loads the same backend: merged by max, not summed (app.ts scrape).
    aggregator: 'max',
  });
  const active = srtpBackend();
  backend.set({ backend: active }, 1);
  backend.set({ backend: active === 'native' ? 'js' : 'native' }, 0);
  return {
    /** Reads live counts from the registry's `Forwarding` (set once it exists). */
    observe(s: ForwardingSource) {
      source = s;
    },
    subscribers: new Gauge({
      name: 'media_forwarder_subscribers',
      help: 'Forwarded subscriptions by path: fast, stock, pending (fast path waiting for the answer)',
      labelNames: ['path'] as const,
      registers,
      collect() {
        const live = source?.live ?? { fast: 0, stock: 0, pending: 0 };
        for (const path of ['fast', 'stock', 'pending'] as const) this.set({ path }, live[path]);
      },
    }),
    layerSwitches: (() => {
      const reported = { up: 0, down: 0 };
      return new Counter({
        name: 'media_layer_switches_total',
        help: 'Simulcast layer switches of subscribers, on a keyframe of the new layer: up (to a higher layer) or down',
        labelNames: ['direction'] as const,
        registers,
        collect() {
          const now = source?.switches ?? reported;
          for (const direction of ['up', 'down'] as const) {
            this.inc({ direction }, now[direction] - reported[direction]);
            reported[direction] = now[direction];
          }
        },
      });
    })(),
    fallbacks: new Counter({
      name: 'media_forwarder_fallbacks_total',
      help: 'Subscriptions that fell back from the fast path to the stock path, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    overloadRefusals: new Counter({
      name: 'media_overload_refusals_total',
      help: 'New sessions refused with capacity_exceeded because the event loop was busy or late',
      registers,
    }),
    shedSessions: new Counter({
      name: 'media_overload_shed_sessions_total',
      help: 'Sessions closed with node_overloaded because their thread stayed saturated',
      registers,
    }),
    backend,
    sendMode: new Gauge({
      name: 'media_fast_send_mode',
      help: 'UDP send of the fast path: 1 for the mode in use (batch = sendmmsg, sendmsg, dgram)',
      labelNames: ['mode'] as const,
      registers,
      aggregator: 'max',
      collect() {
        const mode = source?.fast?.sendStats().mode;
        for (const m of FAST_SEND_MODES) this.set({ mode: m }, m === mode ? 1 : 0);
      },
    }),
    sendBatches: new Counter({
      name: 'media_fast_send_batches_total',
      help: 'Native batched send calls of the fast path (one per incoming packet or loop turn)',
      registers,
      collect() {
        this.reset();
        this.inc(source?.fast?.sendStats().batches ?? 0);
      },
    }),
    sendDatagrams: new Counter({
      name: 'media_fast_send_datagrams_total',
      help: 'Datagrams handed to batched sends (divide by batches for the batch size)',
      registers,
      collect() {
        this.reset();
        this.inc(source?.fast?.sendStats().datagrams ?? 0);
      },
    }),
    sendErrors: new Counter({
      name: 'media_fast_send_errors_total',
      help: 'Fast-path datagrams the kernel refused in batched sends (dropped, not retried), by errno',
      labelNames: ['reason'] as const,
      registers,
      collect() {
        const errors = source?.fast?.sendStats().errors;
        this.reset();
        for (const reason of SEND_ERROR_REASONS) this.inc({ reason }, errors?.[reason] ?? 0);
      },
    }),
  };
}
