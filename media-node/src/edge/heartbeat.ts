/**
 * Heartbeats to the edge: the first one registers the node, later ones carry its load and
 * state (`ready`, `draining`, `stopped`). The edge stops placing sessions on a node whose
 * heartbeats stop or which reports `draining`.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import {
  type Heartbeat,
  INTERNAL_BASE,
  type NodeLocation,
  type NodeState,
} from '../../../shared/internal.ts';
import type { Logger } from '../log.ts';
import type { EdgeClient } from './edge-client.ts';

export interface HeartbeatOptions {
  client: EdgeClient;
  intervalMs: number;
  log: Logger;
  identity: {
    nodeId: string;
    url: () => string;
    region: string;
    location: NodeLocation | undefined;
    startedAt: number;
  };
  /**
   * The node's load; `sessionsLagMs` is the event-loop lag where sessions run (worker threads),
   * reported when worse than this thread's own.
   */
  load(): Omit<Heartbeat['load'], 'eventLoopLagMs' | 'rssBytes'> & { sessionsLagMs?: number };
  onFailure?(): void;
}

export class Heartbeats {
  readonly #o: HeartbeatOptions;
  readonly #lag: ReturnType<typeof monitorEventLoopDelay> = monitorEventLoopDelay({
    resolution: 20,
  });
  #timer: NodeJS.Timeout | undefined;
  #state: NodeState = 'ready';
  #failing = false;
  /** Heartbeats go one at a time: the edge refuses one signed before the last it accepted. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: HeartbeatOptions) {
    this.#o = options;
  }

  start(): void {
    this.#lag.enable();
    void this.send();
    this.#timer = setInterval(() => void this.send(), this.#o.intervalMs);
  }

  /** Changes the reported state and tells the edge at once. */
  async setState(state: NodeState): Promise<void> {
    this.#state = state;
    await this.send();
  }

  /** Sends one heartbeat after any in flight; never throws (a failure is logged once per outage). */
  send(): Promise<boolean> {
    const next = this.#queue.then(() => this.#sendNow());
    this.#queue = next;
    return next;
  }

  async #sendNow(): Promise<boolean> {
    const { sessionsLagMs = 0, ...load } = this.#o.load();
    const ownLagMs = Number.isFinite(this.#lag.percentile(99)) ? this.#lag.percentile(99) / 1e6 : 0;
    const body: Heartbeat = {
      nodeId: this.#o.identity.nodeId,
      url: this.#o.identity.url(),
      region: this.#o.identity.region,
      ...(this.#o.identity.location ? { location: this.#o.identity.location } : {}),
      state: this.#state,
      startedAt: this.#o.identity.startedAt,
      load: {
        ...load,
        // p99 over the last interval, in ms: what a new session's signaling would feel.
        eventLoopLagMs: Math.max(ownLagMs, sessionsLagMs),
        rssBytes: process.memoryUsage.rss(),
      },
    };
    this.#lag.reset();
    try {
      const res = await this.#o.client.post(`${INTERNAL_BASE}/nodes/heartbeat`, body);
      if (res.status >= 300)
        throw new Error(`edge answered ${res.status}: ${res.body.slice(0, 200)}`);
      if (this.#failing) this.#o.log.info('edge_heartbeat_recovered');
      this.#failing = false;
      return true;
    } catch (error) {
      this.#o.onFailure?.();
      if (!this.#failing) this.#o.log.warn({ err: error }, 'edge_heartbeat_failed');
      this.#failing = true;
      return false;
    }
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#lag.disable();
  }
}
