/**
 * Trickles local ICE candidates to the edge in small batches, one request at a time, and never
 * past the per-session cap: the edge answers the candidate after the cap with `429`, and a client
 * that keeps sending is only wasting requests. End-of-candidates (an empty `candidate`) counts
 * toward the cap like any other entry, so it is sent only while there is room.
 */
import type { IceCandidateInit } from '../shared/api.ts';
import { MAX_CANDIDATES_PER_REQUEST, MAX_ICE_CANDIDATES } from '../shared/limits.ts';
import { MediaApiError } from './errors.ts';

export interface CandidateTricklerOptions {
  send: (candidates: IceCandidateInit[]) => Promise<void>;
  /** Candidates the edge accepts per session. */
  limit?: number;
  /** How long to collect candidates into one request, in ms. */
  batchDelayMs?: number;
  /** A failed send (other than the cap) is reported here and the batch is dropped. */
  onError?: (error: unknown) => void;
}

export class CandidateTrickler {
  readonly #send: CandidateTricklerOptions['send'];
  readonly #limit: number;
  readonly #batchDelayMs: number;
  readonly #onError: (error: unknown) => void;
  #queue: IceCandidateInit[] = [];
  #started = false;
  #closed = false;
  #capped = false;
  #sent = 0;
  #dropped = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #inFlight: Promise<void> | undefined;

  constructor(options: CandidateTricklerOptions) {
    this.#send = options.send;
    this.#limit = options.limit ?? MAX_ICE_CANDIDATES;
    this.#batchDelayMs = options.batchDelayMs ?? 10;
    this.#onError = options.onError ?? (() => {});
  }

  /** Candidates accepted by the edge so far. */
  get sent(): number {
    return this.#sent;
  }

  /** Candidates never sent because the cap was reached. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Queues a candidate; `null` is end-of-candidates. */
  push(
    candidate: IceCandidateInit | null,
    mid?: { sdpMid?: string | null; sdpMLineIndex?: number | null },
  ): void {
    if (this.#closed) return;
    const entry = candidate ?? {
      candidate: '',
      sdpMid: mid?.sdpMid ?? null,
      sdpMLineIndex: mid?.sdpMLineIndex ?? 0,
    };
    if (this.#capped || this.#sent + this.#queue.length >= this.#limit) {
      this.#dropped += 1;
      return;
    }
    this.#queue.push(entry);
    this.#schedule();
  }

  /** Starts sending: candidates may only follow the offer, so they wait until it was answered. */
  start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    this.#schedule();
  }

  /** Resolves once everything queued so far has been sent (or dropped). */
  async flushed(): Promise<void> {
    while (this.#timer !== undefined || this.#inFlight) {
      if (this.#timer !== undefined) {
        clearTimeout(this.#timer);
        this.#timer = undefined;
        this.#flush();
      }
      await this.#inFlight;
    }
  }

  /** Drops whatever is queued; nothing is sent afterwards. Idempotent. */
  close(): void {
    this.#closed = true;
    this.#queue = [];
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #schedule(): void {
    if (!this.#started || this.#closed || this.#timer !== undefined || this.#inFlight) return;
    if (this.#queue.length === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#flush();
    }, this.#batchDelayMs);
  }

  #flush(): void {
    if (this.#closed || this.#inFlight || this.#queue.length === 0) return;
    const batch = this.#queue.splice(0, MAX_CANDIDATES_PER_REQUEST);
    this.#inFlight = this.#send(batch)
      .then(
        () => {
          this.#sent += batch.length;
        },
        (error: unknown) => {
          if (error instanceof MediaApiError && error.code === 'too_many_ice_candidates') {
            this.#capped = true;
            this.#dropped += batch.length + this.#queue.length;
            this.#queue = [];
            return;
          }
          this.#onError(error);
        },
      )
      .finally(() => {
        this.#inFlight = undefined;
        this.#schedule();
      });
  }
}
