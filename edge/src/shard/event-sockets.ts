/**
 * The event WebSockets of one shard, on the hibernation API: each socket is tagged with its
 * session id and carries its send window (a `SocketCursor`) as its attachment, so a shard that
 * hibernates and wakes up resumes every socket where it was. Events are read from storage when
 * they are sent; nothing is queued in memory.
 */

import { clientFrameSchema, type PongFrame } from '../../../shared/events.ts';
import {
  CLOSE_RESUME_GAP,
  CLOSE_SESSION_ENDED,
  CLOSE_SLOW_CONSUMER,
  EVENT_LOG_LIMIT,
} from '../../../shared/limits.ts';
import {
  acknowledge,
  checkStall,
  openCursor,
  resumeGap,
  type SocketCursor,
  sendRange,
  stallDeadline,
  type WindowLimits,
} from '../session/event-window.ts';
import { isTerminal } from '../session/state-machine.ts';
import type { SessionStore } from './session-store.ts';

/** Close code for a frame that is not a valid client frame (RFC 6455 policy violation). */
const CLOSE_POLICY = 1008;
/** Client frames are tiny (`ack`, `ping`); anything bigger is not one. */
const MAX_FRAME_CHARS = 256;

export interface SocketHooks {
  /** A client showed signs of life (any valid frame). */
  activity(sessionId: string): void;
  slowClosed(): void;
}

export class EventSockets {
  readonly #ctx: DurableObjectState;
  readonly #store: SessionStore;
  readonly #limits: WindowLimits;
  readonly #hooks: SocketHooks;

  constructor(
    ctx: DurableObjectState,
    store: SessionStore,
    limits: WindowLimits,
    hooks: SocketHooks,
  ) {
    this.#ctx = ctx;
    this.#store = store;
    this.#limits = limits;
    this.#hooks = hooks;
  }

  /** Accepts a socket for `sessionId` that resumes after `since` and sends the backlog. */
  accept(sessionId: string, since: number, now: number): Response {
    const pair = new WebSocketPair();
    const server = pair[1];
    this.#ctx.acceptWebSocket(server, [sessionId]);
    const lastSeq = this.#store.lastSeq(sessionId);
    server.serializeAttachment(openCursor(sessionId, since, lastSeq));
    if (resumeGap(since, lastSeq, EVENT_LOG_LIMIT)) {
      safeClose(
        server,
        CLOSE_RESUME_GAP,
        `events up to seq ${lastSeq - EVENT_LOG_LIMIT} are no longer kept: rejoin`,
      );
    } else {
      this.#pump(server, now);
    }
    return new Response(null, { status: 101, webSocket: pair[0] });
  }

  /** Sends what the session's sockets may receive now (after new events). */
  publish(sessionId: string, now: number): void {
    for (const ws of this.#ctx.getWebSockets(sessionId)) this.#pump(ws, now);
  }

  message(ws: WebSocket, data: string | ArrayBuffer, now: number): void {
    const cursor = ws.deserializeAttachment() as SocketCursor | null;
    if (!cursor) return;
    let frame: ReturnType<typeof clientFrameSchema.safeParse> | undefined;
    if (typeof data === 'string' && data.length <= MAX_FRAME_CHARS) {
      try {
        frame = clientFrameSchema.safeParse(JSON.parse(data));
      } catch {
        frame = undefined;
      }
    }
    if (!frame?.success) {
      safeClose(
        ws,
        CLOSE_POLICY,
        'invalid frame: expected {"type":"ack","seq":n} or {"type":"ping"}',
      );
      return;
    }
    this.#hooks.activity(cursor.sessionId);
    if (frame.data.type === 'ping') {
      const pong: PongFrame = { type: 'pong', lastSeq: this.#store.lastSeq(cursor.sessionId) };
      safeSend(ws, JSON.stringify(pong));
      return;
    }
    ws.serializeAttachment(acknowledge(cursor, frame.data.seq));
    this.#pump(ws, now);
  }

  /** Re-checks every socket (closes consumers stalled past the grace period). */
  sweep(now: number): void {
    for (const ws of this.#ctx.getWebSockets()) this.#pump(ws, now);
  }

  /** The next time a stalled socket must be checked, or null. */
  nextDeadline(): number | null {
    let next: number | null = null;
    for (const ws of this.#ctx.getWebSockets()) {
      const cursor = ws.deserializeAttachment() as SocketCursor | null;
      const d = cursor ? stallDeadline(cursor, this.#limits.graceMs) : null;
      if (d !== null && (next === null || d < next)) next = d;
    }
    return next;
  }

  count(): number {
    return this.#ctx.getWebSockets().length;
  }

  #pump(ws: WebSocket, now: number): void {
    const cursor = ws.deserializeAttachment() as SocketCursor | null;
    if (!cursor || ws.readyState !== WebSocket.READY_STATE_OPEN) return;
    const session = this.#store.get(cursor.sessionId);
    if (!session) {
      safeClose(ws, CLOSE_SESSION_ENDED, 'session is gone');
      return;
    }
    let next = cursor;
    const range = sendRange(cursor, session.lastSeq, this.#limits.limit);
    if (range) {
      for (const text of this.#store.events(cursor.sessionId, range.from, range.to)) {
        safeSend(ws, text);
      }
      next = { ...cursor, sent: range.to };
    }
    const stall = checkStall(next, session.lastSeq, now, this.#limits);
    if (stall.verdict === 'close') {
      safeClose(
        ws,
        CLOSE_SLOW_CONSUMER,
        `slow consumer: more than ${this.#limits.limit} events unacknowledged for over ${this.#limits.graceMs} ms`,
      );
      this.#hooks.slowClosed();
      return;
    }
    ws.serializeAttachment(stall.cursor);
    if (isTerminal(session.state) && stall.cursor.sent === session.lastSeq) {
      safeClose(ws, CLOSE_SESSION_ENDED, `session ${session.state}`);
    }
  }
}

/** Sending on a socket the peer already closed throws; the close handler cleans up after. */
function safeSend(ws: WebSocket, text: string): void {
  try {
    ws.send(text);
  } catch {
    // the socket is closing; its cursor is dropped with it
  }
}

function safeClose(ws: WebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason.slice(0, 120));
  } catch {
    // already closed
  }
}
