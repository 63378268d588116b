/**
 * The messages between the main thread and a forwarding worker thread. Calls are the worker
 * registry's operations; errors cross as data (a `MediaError` keeps its code, details and
 * Retry-After, so the HTTP reply is the one the registry would give in-process).
 */
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import { type ErrorCode, type ErrorDetails, MediaError } from '../../../shared/errors.ts';
import type { NodeEvent } from '../../../shared/events.ts';
import type { Config } from '../config.ts';
import type { LoadSample } from '../rtc/load-guard.ts';
import type { SessionRegistry } from '../rtc/session-registry.ts';

/** What a worker thread answers. */
export interface WorkerApi {
  offer: SessionRegistry['offer'];
  answer: SessionRegistry['answer'];
  candidates: SessionRegistry['candidates'];
  view: SessionRegistry['view'];
  setSubscription: SessionRegistry['setSubscription'];
  roomView: SessionRegistry['roomView'];
  close: SessionRegistry['close'];
  startDraining: SessionRegistry['startDraining'];
  closeAll: SessionRegistry['closeAll'];
  /** The worker's metrics registry, for the main thread to merge into its scrape. */
  metrics(): Promise<MetricObjectWithValues<MetricValue<string>>[]>;
}
export type WorkerMethod = keyof WorkerApi;

export type Call = {
  [K in WorkerMethod]: { id: number; method: K; args: Parameters<WorkerApi[K]> };
}[WorkerMethod];

export interface WireError {
  message: string;
  media?: { code: ErrorCode; details: ErrorDetails; retryAfterSeconds: number | undefined };
}

export type FromWorker =
  | { type: 'reply'; id: number; ok: true; value: unknown }
  | { type: 'reply'; id: number; ok: false; error: WireError }
  /** A session event for the edge (same order as the worker emitted them). */
  | { type: 'event'; event: NodeEvent }
  /** A session is gone from the worker (any reason). */
  | { type: 'closed'; sessionId: string }
  /** The worker has set up and takes calls. */
  | { type: 'ready' }
  /** Sent every second: the worker's own measurement of its load. */
  | ({ type: 'load'; overloaded: boolean } & LoadSample);

/** `workerData` of a worker thread. */
export interface WorkerInit {
  config: Config;
  index: number;
}

export function toWire(error: unknown): WireError {
  if (error instanceof MediaError) {
    const { code, details, retryAfterSeconds } = error;
    return { message: error.message, media: { code, details, retryAfterSeconds } };
  }
  return { message: error instanceof Error ? error.message : String(error) };
}

export function fromWire(wire: WireError): Error {
  if (!wire.media) return new Error(wire.message);
  const { code, details, retryAfterSeconds } = wire.media;
  return new MediaError(code, wire.message, details, retryAfterSeconds);
}
