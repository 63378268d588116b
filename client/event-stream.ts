/**
 * The events socket of one session: parses every frame, acknowledges what it received (the edge
 * closes consumers that stop acking with 4008), drops duplicates, and after a dropped socket
 * reconnects with `?since=<last seq>` so no event is lost or seen twice.
 */
import { eventBodySchema, type SessionEvent } from '../shared/events.ts';
import {
  CLOSE_RESUME_GAP,
  CLOSE_SESSION_ENDED,
  CLOSE_SOCKET_REPLACED,
  EVENT_QUEUE_LIMIT,
} from '../shared/limits.ts';
import { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from './backoff.ts';
import { Emitter } from './emitter.ts';

/** What the stream needs from a socket: the browser's and Node's `WebSocket` both fit. */
export interface SocketHandlers {
  open(): void;
  message(data: string): void;
  close(code: number, reason: string): void;
}
export interface SocketLike {
  send(data: string): void;
  close(code?: number, reason?: string): void;
}
export type SocketFactory = (url: string, handlers: SocketHandlers) => SocketLike;

/** Opens a global `WebSocket` (browsers, Node >= 22). */
export const globalSocketFactory: SocketFactory = (url, handlers) => {
  const socket = new WebSocket(url);
  socket.onopen = () => handlers.open();
  socket.onmessage = (event) => {
    if (typeof event.data === 'string') handlers.message(event.data);
  };
  socket.onclose = (event) => handlers.close(event.code, event.reason);
  return socket;
};

/**
 * `resume_gap`: the edge no longer holds the events after our last one, so resuming would
 * lose some; the session has to be joined again.
 */
/**
 * `replaced`: the session opened more event sockets than the edge keeps (4), and this one was
 * the oldest: another socket (another tab or client) now receives the events; reconnecting
 * would only push that one out in turn.
 */
export type StreamEndReason = 'session_closed' | 'stopped' | 'gave_up' | 'resume_gap' | 'replaced';

export interface EventStreamEvents {
  open: { resumedFrom: number };
  event: SessionEvent;
  reconnecting: { attempt: number; delayMs: number; code: number; reason: string };
  end: { reason: StreamEndReason; code?: number };
  /** A frame that did not parse: reported and skipped, never fatal. */
  invalid: { data: string; error: string };
}

export interface EventStreamOptions {
  /** URL for a connection resuming after `since`. */
  url: (since: number) => string;
  createSocket?: SocketFactory;
  /** Ack after this many unacked events (the edge requires at least every 128). */
  ackEvery?: number;
  /** Ack this long after the last unacked event, in ms, when `ackEvery` is not reached. */
  ackDelayMs?: number;
  reconnect?: BackoffOptions;
  /** First sequence number already seen (0: from the start). */
  since?: number;
}

const DEFAULT_ACK_EVERY = 32;
const DEFAULT_ACK_DELAY_MS = 100;

export class EventStream extends Emitter<EventStreamEvents> {
  readonly #options: Required<Omit<EventStreamOptions, 'since'>>;
  #socket: SocketLike | undefined;
  #lastSeq: number;
  #ackedSeq: number;
  #ackTimer: ReturnType<typeof setTimeout> | undefined;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #attempt = 0;
  #open = false;
  #ended = false;

  constructor(options: EventStreamOptions) {
    super();
    const ackEvery = options.ackEvery ?? DEFAULT_ACK_EVERY;
    if (ackEvery < 1 || ackEvery > EVENT_QUEUE_LIMIT / 2) {
      throw new RangeError(`ackEvery must be within 1..${EVENT_QUEUE_LIMIT / 2}`);
    }
    this.#options = {
      url: options.url,
      createSocket: options.createSocket ?? globalSocketFactory,
      ackEvery,
      ackDelayMs: options.ackDelayMs ?? DEFAULT_ACK_DELAY_MS,
      reconnect: options.reconnect ?? DEFAULT_BACKOFF,
    };
    this.#lastSeq = options.since ?? 0;
    this.#ackedSeq = this.#lastSeq;
  }

  /** Sequence number of the last event delivered. */
  get lastSeq(): number {
    return this.#lastSeq;
  }

  get isOpen(): boolean {
    return this.#open;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Opens the socket (once; later reconnects are automatic). */
  connect(): void {
    if (this.#ended || this.#socket) return;
    this.#dial();
  }

  /** Closes for good; no reconnect follows. Idempotent. */
  close(): void {
    this.#end('stopped');
  }

  #dial(): void {
    const since = this.#lastSeq;
    let socket: SocketLike | undefined;
    // Handlers of a replaced socket must not act on the current one.
    const current = () => socket !== undefined && socket === this.#socket;
    socket = this.#options.createSocket(this.#options.url(since), {
      open: () => {
        if (!current()) return;
        this.#open = true;
        this.#attempt = 0;
        this.emit('open', { resumedFrom: since });
      },
      message: (data) => {
        if (current()) this.#onMessage(data);
      },
      close: (code, reason) => {
        if (current()) this.#onClose(code, reason);
      },
    });
    this.#socket = socket;
  }

  #onMessage(data: string): void {
    let frame: unknown;
    try {
      frame = JSON.parse(data);
    } catch {
      this.emit('invalid', { data, error: 'not JSON' });
      return;
    }
    if (isPong(frame)) return;
    const parsed = eventBodySchema.safeParse(frame);
    if (!parsed.success) {
      this.emit('invalid', { data, error: parsed.error.message });
      return;
    }
    // The schema accepted an object; the envelope fields are read from it.
    const { seq, sessionId, at } = frame as { seq?: unknown; sessionId?: unknown; at?: unknown };
    if (typeof seq !== 'number' || !Number.isInteger(seq)) {
      this.emit('invalid', { data, error: 'missing seq' });
      return;
    }
    // A resumed socket may repeat what the dropped one already delivered.
    if (seq <= this.#lastSeq) return;
    this.#lastSeq = seq;
    const event: SessionEvent = {
      ...parsed.data,
      seq,
      sessionId: typeof sessionId === 'string' ? sessionId : '',
      at: typeof at === 'string' ? at : new Date().toISOString(),
    };
    this.#scheduleAck();
    this.emit('event', event);
    if (event.type === 'closed') {
      this.#ack();
      this.#end('session_closed');
    }
  }

  #scheduleAck(): void {
    if (this.#lastSeq - this.#ackedSeq >= this.#options.ackEvery) {
      this.#ack();
      return;
    }
    this.#ackTimer ??= setTimeout(() => {
      this.#ackTimer = undefined;
      this.#ack();
    }, this.#options.ackDelayMs);
  }

  #ack(): void {
    if (this.#ackTimer !== undefined) clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
    if (!this.#open || !this.#socket || this.#lastSeq <= this.#ackedSeq) return;
    try {
      this.#socket.send(JSON.stringify({ type: 'ack', seq: this.#lastSeq }));
      this.#ackedSeq = this.#lastSeq;
    } catch {
      // The socket is closing; the resumed connection starts from lastSeq anyway.
    }
  }

  #onClose(code: number, reason: string): void {
    this.#open = false;
    this.#socket = undefined;
    if (this.#ackTimer !== undefined) clearTimeout(this.#ackTimer);
    this.#ackTimer = undefined;
    if (this.#ended) return;
    if (code === CLOSE_SESSION_ENDED) {
      this.#end('session_closed', code);
      return;
    }
    if (code === CLOSE_RESUME_GAP) {
      this.#end('resume_gap', code);
      return;
    }
    if (code === CLOSE_SOCKET_REPLACED) {
      this.#end('replaced', code);
      return;
    }
    this.#attempt += 1;
    const backoff = this.#options.reconnect;
    if (this.#attempt > backoff.maxAttempts) {
      this.#end('gave_up', code);
      return;
    }
    const delayMs = backoffDelay(this.#attempt, backoff);
    this.emit('reconnecting', { attempt: this.#attempt, delayMs, code, reason });
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined;
      if (!this.#ended) this.#dial();
    }, delayMs);
  }

  #end(reason: StreamEndReason, code?: number): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#open = false;
    if (this.#ackTimer !== undefined) clearTimeout(this.#ackTimer);
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    this.#ackTimer = undefined;
    this.#retryTimer = undefined;
    const socket = this.#socket;
    this.#socket = undefined;
    try {
      socket?.close(1000, reason);
    } catch {
      // Already closed.
    }
    this.emit('end', code === undefined ? { reason } : { reason, code });
  }
}

function isPong(frame: unknown): boolean {
  return (
    typeof frame === 'object' && frame !== null && (frame as { type?: unknown }).type === 'pong'
  );
}
