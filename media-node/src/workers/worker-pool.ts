/**
 * Sessions on worker threads, one per core by default (config `WORKERS`): mediasoup's model.
 * Each worker runs its own `SessionRegistry` (werift, fast path, reaper, load guard), so
 * forwarding, SRTP and DTLS of different rooms run in parallel; the main thread keeps HTTP, the
 * edge link and metrics, and routes each call to the worker of its session.
 *
 * Placement inside the node: a room is pinned to one worker (its SFU forwards in-thread); a new
 * room goes to the least loaded worker by max(session share, CPU), skipping workers whose
 * event loop is late. Admission (draining, `MAX_SESSIONS`) is decided here, node-wide, before
 * the worker is asked; the worker's load guard still refuses when its own loop is late.
 *
 * A worker that dies (a bug, not a werift callback error: those are counted and survived) costs
 * only its own sessions: they fail with `node_lost` (events sent, so clients rejoin) and a fresh
 * worker takes its place.
 */
import { Worker } from 'node:worker_threads';
import type {
  EndReason,
  IceCandidateInit,
  SubscriptionChange,
  SubscriptionView,
} from '../../../shared/api.ts';
import { MediaError } from '../../../shared/errors.ts';
import type { NodeEvent } from '../../../shared/events.ts';
import type { NodeOfferRequest, NodeRoomView, NodeSessionView } from '../../../shared/internal.ts';
import { admits, pickWorker } from '../../../shared/load-score.ts';
import type { Config } from '../config.ts';
import type { Logger } from '../log.ts';
import type { Metrics } from '../ops/metrics.ts';
import type { LoadSample } from '../rtc/load-guard.ts';
import { atCapacityError, drainingError, sessionNotFoundError } from '../rtc/session-registry.ts';
import { EmptySignal } from '../util/empty-signal.ts';
import {
  type FromWorker,
  fromWire,
  type WorkerApi,
  type WorkerInit,
  type WorkerMethod,
} from './protocol.ts';
import type { SessionHost, WorkerLoad } from './session-host.ts';

const WORKER_URL = new URL('./worker-main.ts', import.meta.url);

/** A worker's load before its first report. */
const IDLE = { lagP99Ms: 0, utilization: 0, cpu: 0, overloaded: false } as const;

/** How long a worker may take to load (werift, the native addon) before start fails. */
const WORKER_START_TIMEOUT_MS = 30_000;

export interface WorkerPoolOptions {
  config: Config;
  emit(event: NodeEvent): void;
  metrics: Metrics;
  log: Logger;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

interface Slot {
  readonly index: number;
  worker: Worker;
  readonly pending: Map<number, Pending>;
  /** Between the worker's `ready` and its exit. */
  alive: boolean;
  sessions: number;
  rooms: number;
  /** The worker's last load report. */
  load: LoadSample & { overloaded: boolean };
}

interface SessionEntry {
  readonly slot: Slot;
  readonly room: string;
}

interface RoomEntry {
  readonly slot: Slot;
  size: number;
}

export class WorkerPool implements SessionHost {
  readonly #o: WorkerPoolOptions;
  readonly #slots: Slot[] = [];
  readonly #sessions = new Map<string, SessionEntry>();
  readonly #rooms = new Map<string, RoomEntry>();
  readonly #empty = new EmptySignal();
  #nextCallId = 1;
  #draining = false;
  #stopping = false;

  constructor(options: WorkerPoolOptions) {
    this.#o = options;
  }

  get sessionCount(): number {
    return this.#sessions.size;
  }

  get roomCount(): number {
    return this.#rooms.size;
  }

  get draining(): boolean {
    return this.#draining;
  }

  *roomSizes(): Generator<number> {
    for (const room of this.#rooms.values()) yield room.size;
  }

  /** Starts every worker; resolves once all of them take calls. */
  async start(): Promise<void> {
    const count = this.#o.config.workers;
    const started = Array.from({ length: count }, (_, index) => this.#spawn(index));
    const results = await Promise.allSettled(started);
    const failed = results.find((r) => r.status === 'rejected');
    if (failed) {
      await this.stop();
      throw failed.reason;
    }
    this.#o.log.info({ workers: count }, 'workers_started');
  }

  async offer(id: string, req: NodeOfferRequest): Promise<string> {
    const existing = this.#sessions.get(id);
    if (existing) return this.#call(existing.slot, 'offer', id, req);
    if (this.#draining) throw drainingError();
    if (!admits({ sessions: this.#sessions.size, maxSessions: this.#o.config.maxSessions })) {
      throw atCapacityError(this.#o.config.maxSessions);
    }
    const slot = this.#rooms.get(req.room)?.slot ?? this.#leastLoaded();
    // Registered before the first await, so concurrent offers see the capacity taken.
    const entry: SessionEntry = { slot, room: req.room };
    this.#add(id, entry);
    try {
      return await this.#call(slot, 'offer', id, req);
    } catch (error) {
      // Refused before the worker created the session (a created one reports `closed`).
      if (this.#sessions.get(id) === entry) this.#remove(id);
      throw error;
    }
  }

  answer(id: string, sdp: string): Promise<void> {
    return this.#call(this.#entry(id).slot, 'answer', id, sdp);
  }

  candidates(id: string, candidates: IceCandidateInit[]): Promise<void> {
    return this.#call(this.#entry(id).slot, 'candidates', id, candidates);
  }

  view(id: string): Promise<NodeSessionView> {
    return this.#call(this.#entry(id).slot, 'view', id);
  }

  setSubscription(
    id: string,
    trackId: string,
    change: SubscriptionChange,
  ): Promise<SubscriptionView> {
    return this.#call(this.#entry(id).slot, 'setSubscription', id, trackId, change);
  }

  async roomView(name: string): Promise<NodeRoomView> {
    const room = this.#rooms.get(name);
    return room
      ? this.#call(room.slot, 'roomView', name)
      : { room: name, participants: [], activeSpeaker: null };
  }

  async close(id: string, reason: EndReason): Promise<void> {
    const entry = this.#sessions.get(id);
    if (entry) await this.#call(entry.slot, 'close', id, reason);
  }

  startDraining(): void {
    this.#draining = true;
    for (const slot of this.#slots) this.#call(slot, 'startDraining').catch(() => {});
  }

  waitUntilEmpty(timeoutMs: number): Promise<boolean> {
    return this.#empty.wait(this.#sessions.size === 0, timeoutMs);
  }

  /** Every worker closes its sessions; their events are posted before each reply. */
  async closeAll(reason: EndReason): Promise<number> {
    const counts = await Promise.all(
      this.#slots.map((slot) => this.#call(slot, 'closeAll', reason).catch(() => 0)),
    );
    return counts.reduce((a, b) => a + b, 0);
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await Promise.all(this.#slots.map((slot) => slot.worker.terminate()));
  }

  lagP99Ms(): number {
    return Math.max(0, ...this.#slots.map((s) => s.load.lagP99Ms));
  }

  workerLoads(): WorkerLoad[] {
    return this.#slots.map((s) => ({
      id: s.index,
      sessions: s.sessions,
      rooms: s.rooms,
      ...s.load,
    }));
  }

  /** The index of the worker a session runs on. */
  workerOf(sessionId: string): number | undefined {
    return this.#sessions.get(sessionId)?.slot.index;
  }

  /** The running thread of worker `index` (tests end one to check that a crash stays contained). */
  thread(index: number): Worker | undefined {
    const slot = this.#slots[index];
    return slot?.alive ? slot.worker : undefined;
  }

  /**
   * Metrics of the running workers. A worker being replaced is left out: its counters start
   * again from 0 in its successor, which Prometheus reads as a counter reset.
   */
  async workerMetrics(): ReturnType<SessionHost['workerMetrics']> {
    const settled = await Promise.allSettled(this.#slots.map((s) => this.#call(s, 'metrics')));
    return settled.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  }

  #spawn(index: number): Promise<void> {
    const init: WorkerInit = { config: this.#o.config, index };
    const worker = new Worker(WORKER_URL, { workerData: init, name: `media-worker-${index}` });
    const slot: Slot = this.#slots[index] ?? {
      index,
      worker,
      pending: new Map(),
      alive: false,
      sessions: 0,
      rooms: 0,
      load: IDLE,
    };
    slot.worker = worker;
    slot.load = IDLE;
    this.#slots[index] = slot;
    return new Promise<void>((resolve, reject) => {
      let ready = false;
      const timer = setTimeout(() => {
        reject(new Error(`worker ${index} did not start within ${WORKER_START_TIMEOUT_MS} ms`));
      }, WORKER_START_TIMEOUT_MS);
      worker.on('message', (message: FromWorker) => {
        if (message.type === 'ready') {
          ready = true;
          slot.alive = true;
          clearTimeout(timer);
          resolve();
          return;
        }
        this.#onMessage(slot, message);
      });
      worker.on('error', (error) => {
        this.#o.log.error({ err: error, worker: index }, 'worker_error');
        if (!ready) reject(error);
      });
      worker.on('exit', (code) => {
        clearTimeout(timer);
        if (slot.worker !== worker) return;
        slot.alive = false;
        if (ready) this.#onExit(slot, code);
        else reject(new Error(`worker ${index} exited with code ${code} while starting`));
      });
    });
  }

  #onMessage(slot: Slot, message: FromWorker): void {
    switch (message.type) {
      case 'reply': {
        const pending = slot.pending.get(message.id);
        if (!pending) return;
        slot.pending.delete(message.id);
        if (message.ok) pending.resolve(message.value);
        else pending.reject(fromWire(message.error));
        return;
      }
      case 'event':
        this.#o.emit(message.event);
        return;
      case 'closed':
        if (this.#sessions.get(message.sessionId)?.slot === slot) this.#remove(message.sessionId);
        return;
      case 'load':
        slot.load = {
          lagP99Ms: message.lagP99Ms,
          utilization: message.utilization,
          cpu: message.cpu,
          overloaded: message.overloaded,
        };
        return;
      case 'ready':
        return;
    }
  }

  /** A worker is gone: fail its calls and sessions, and replace it unless the node is stopping. */
  #onExit(slot: Slot, code: number): void {
    for (const pending of slot.pending.values()) pending.reject(workerGoneError());
    slot.pending.clear();
    if (this.#stopping) return;
    const sessions = [...this.#sessions].filter(([, e]) => e.slot === slot).map(([id]) => id);
    this.#o.log.error({ worker: slot.index, code, sessions: sessions.length }, 'worker_crashed');
    this.#o.metrics.workers.restarts.inc();
    for (const sessionId of sessions) {
      this.#remove(sessionId);
      this.#o.emit({ sessionId, type: 'state', state: 'failed', reason: 'node_lost' });
      this.#o.emit({ sessionId, type: 'closed', reason: 'node_lost' });
    }
    this.#spawn(slot.index).then(
      () => {
        if (this.#draining) this.#call(slot, 'startDraining').catch(() => {});
      },
      (error: unknown) =>
        this.#o.log.error({ err: error, worker: slot.index }, 'worker_restart_failed'),
    );
  }

  #call<K extends WorkerMethod>(
    slot: Slot,
    method: K,
    ...args: Parameters<WorkerApi[K]>
  ): Promise<Awaited<ReturnType<WorkerApi[K]>>> {
    if (!slot.alive) return Promise.reject(workerGoneError());
    return new Promise((resolve, reject) => {
      const id = this.#nextCallId++;
      slot.pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
      slot.worker.postMessage({ id, method, args });
    });
  }

  #leastLoaded(): Slot {
    const alive = this.#slots
      .filter((s) => s.alive)
      .map((slot) => ({ slot, ...slot.load, sessions: slot.sessions }));
    const best = pickWorker(alive, this.#o.config.maxSessions)?.slot;
    if (!best) throw workerGoneError();
    return best;
  }

  #entry(id: string): SessionEntry {
    const entry = this.#sessions.get(id);
    if (!entry) throw sessionNotFoundError();
    return entry;
  }

  #add(id: string, entry: SessionEntry): void {
    this.#sessions.set(id, entry);
    entry.slot.sessions++;
    const room = this.#rooms.get(entry.room);
    if (room) {
      room.size++;
    } else {
      this.#rooms.set(entry.room, { slot: entry.slot, size: 1 });
      entry.slot.rooms++;
    }
  }

  #remove(id: string): void {
    const entry = this.#sessions.get(id);
    if (!entry) return;
    this.#sessions.delete(id);
    entry.slot.sessions--;
    const room = this.#rooms.get(entry.room);
    if (room && --room.size === 0) {
      this.#rooms.delete(entry.room);
      entry.slot.rooms--;
    }
    if (this.#sessions.size === 0) this.#empty.fire();
  }
}

function workerGoneError(): MediaError {
  return new MediaError('media_node_unavailable', 'the media worker is not running', {}, 1);
}
