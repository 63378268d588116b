/**
 * Forwarding-path metrics (issue 7): subscribers per forwarder path, fast-path fallbacks by
 * bounded reason, and the SRTP backend in use. Registered by `createMetrics` (metrics.ts).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { srtpBackend } from '../fast/srtp.ts';

/** The live counts the gauges read at scrape time (rtc/forwarding.ts `Forwarding`). */
export interface ForwardingSource {
  live: { fast: number; stock: number; pending: number };
}

export function createForwardingMetrics(registers: Registry[]) {
  let source: ForwardingSource | undefined;
  const backend = new Gauge({
    name: 'media_srtp_backend',
    help: 'SRTP implementation of the fast path: 1 for the one in use (native addon or js)',
    labelNames: ['backend'] as const,
    registers,
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
    fallbacks: new Counter({
      name: 'media_forwarder_fallbacks_total',
      help: 'Subscriptions that fell back from the fast path to the stock path, by reason',
      labelNames: ['reason'] as const,
      registers,
    }),
    overloadRefusals: new Counter({
      name: 'media_overload_refusals_total',
      help: 'New sessions refused with capacity_exceeded because the event loop was late',
      registers,
    }),
    backend,
  };
}
