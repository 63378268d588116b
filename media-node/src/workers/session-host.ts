/**
 * What the HTTP routes, heartbeats, metrics and shutdown need from "where sessions live": the
 * main thread's own `SessionRegistry` (config `WORKERS=0`) or a `WorkerPool` whose worker threads
 * each run one (`WORKERS>=1`, rooms pinned to a worker).
 */

import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type {
  EndReason,
  IceCandidateInit,
  SubscriptionChange,
  SubscriptionView,
} from '../../../shared/api.ts';
import type { NodeOfferRequest, NodeRoomView, NodeSessionView } from '../../../shared/internal.ts';

/** One worker thread's load, as the heartbeat reports it (shared/internal.ts `workers`). */
export interface WorkerLoad {
  id: number;
  sessions: number;
  rooms: number;
  /** Busy fraction of the worker's core over the last second, 0..1. */
  cpu: number;
  /** Event-loop lag p99 of the worker over the last second, ms. */
  lagP99Ms: number;
  /** Event-loop utilization of the worker over the last second, 0..1. */
  utilization: number;
  /** The worker refuses new sessions now (its load guard). */
  overloaded: boolean;
}

export interface SessionHost {
  readonly sessionCount: number;
  readonly roomCount: number;
  readonly draining: boolean;
  /** Participants per open room, for the top-K room gauge. */
  roomSizes(): Iterable<number>;
  offer(id: string, req: NodeOfferRequest): Promise<string>;
  answer(id: string, sdp: string): Promise<void>;
  candidates(id: string, candidates: IceCandidateInit[]): Promise<void>;
  view(id: string): NodeSessionView | Promise<NodeSessionView>;
  roomView(name: string): NodeRoomView | Promise<NodeRoomView>;
  /** The subscriber's cap or pause for one track it receives (`track_not_found` otherwise). */
  setSubscription(
    id: string,
    trackId: string,
    change: SubscriptionChange,
  ): SubscriptionView | Promise<SubscriptionView>;
  /** Closes a session; a no-op when it is already gone. */
  close(id: string, reason: EndReason): void | Promise<void>;
  /** Refuses new sessions from now on (existing ones continue). */
  startDraining(): void;
  /** Resolves true once no session is left, false when `timeoutMs` passes first. */
  waitUntilEmpty(timeoutMs: number): Promise<boolean>;
  /** Closes every session with `reason`; resolves how many there were, their events emitted. */
  closeAll(reason: EndReason): number | Promise<number>;
  /** Starts reapers (and worker threads). */
  start(): void | Promise<void>;
  /** Stops reapers (and worker threads); call after `closeAll`. */
  stop(): void | Promise<void>;
  /** Event-loop lag p99 where sessions run (the worst worker), ms. */
  lagP99Ms(): number;
  /** Per-worker load; undefined when sessions run on the main thread. */
  workerLoads(): WorkerLoad[] | undefined;
  /** Each worker thread's metrics, to merge into the main registry's scrape; [] without workers. */
  workerMetrics(): Promise<MetricObjectWithValues<MetricValue<string>>[][]>;
}
