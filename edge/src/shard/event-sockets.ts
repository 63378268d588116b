/**
 * The event WebSockets of one shard, on the hibernation API: each socket is tagged with its
 * session id and carries its send window (a `SocketCursor`) as its attachment, so a shard that
 * hibernates and wakes up resumes every socket where it was. Events are read from storage when
 * they are sent; nothing is queued in memory.
 *
 * Frames cost no storage write: a ping in its exact form (PING_FRAME) is answered by the runtime
 * without waking the object (`setWebSocketAutoResponse`), and an ack only moves the socket's
 * attachment. That a client is alive is read when it matters, at reaping time
 * (`lastActivity`: the runtime's last auto-response time, and acks seen since the object woke).
 * Bounds: MAX_EVENT_SOCKETS_PER_SESSION sockets per session (a new one closes the oldest with
 * CLOSE_SOCKET_REPLACED) and SOCKET_FRAME_LIMIT frames per window per socket (CLOSE_TOO_MANY_FRAMES).
 */

import { clientFrameSchema, PONG_FRAME } from '../../../shared/events.ts';
import {
  CLOSE_RESUME_GAP,
  CLOSE_SESSION_ENDED,
  CLOSE_SLOW_CONSUMER,
  CLOSE_SOCKET_REPLACED,
  CLOSE_TOO_MANY_FRAMES,
  EVENT_LOG_LIMIT,
  MAX_EVENT_SOCKETS_PER_SESSION,
  SOCKET_FRAME_LIMIT,
  SOCKET_FRAME_WINDOW_MS,
} from '../../../shared/limits.ts';
import {
  acknowledge,
  admitFrame,
  checkStall,
  openCursor,
  resumeGap,
  type SocketCursor,
  sendRange,
  socketsToEvict,
  stallDeadline,
  type WindowLimits,
} from '../session/event-window.ts';
import { isTerminal } from '../session/state-machine.ts';
import type { EventLog } from './event-log.ts';
import type { SessionRepo } from './session-repo.ts';
import type { Publisher } from './shard-core.ts';

/** Close code for a frame that is not a valid client frame (RFC 6455 policy violation). */
const CLOSE_POLICY = 1008;
/** Client frames are tiny (`ack`, `ping`); anything bigger is not one. */
const MAX_FRAME_CHARS = 256;

export interface SocketHooks {
  slowClosed(): void;
  /** A stalled socket must be checked again at `at` (the alarm). */
  wake(at: number): void;
}

export class EventSockets implements Publisher {
  readonly #ctx: DurableObjectState;
  readonly #sessions: SessionRepo;
  readonly #events: EventLog;
  readonly #limits: WindowLimits;
  readonly #hooks: SocketHooks;
  /** Frame counts per socket (memory only: a socket that wakes the object starts a new window). */
  readonly #frames = new WeakMap<WebSocket, { windowStart: number; frames: number }>();
  /** Last frame handled per session since the object woke, ms. */
  readonly #seen = new Map<string, number>();

  constructor(
    ctx: DurableObjectState,
    sessions: SessionRepo,
    events: EventLog,
    limits: WindowLimits,
    hooks: SocketHooks,
  ) {
    this.#ctx = ctx;
    this.#sessions = sessions;
    this.#events = events;
    this.#limits = limits;
    this.#hooks = hooks;
  }

  /**
   * Accepts a socket for `sessionId` that resumes after `since` and sends the backlog; closes
   * the session's oldest sockets past the per-session bound.
   */
  accept(sessionId: string, since: number, lastSeq: number, now: number): Response {
    const open = this.#open(sessionId).map((socket) => ({
      socket,
      openedAt: (socket.deserializeAttachment() as SocketCursor | null)?.openedAt ?? 0,
    }));
    for (const old of socketsToEvict(open, MAX_EVENT_SOCKETS_PER_SESSION)) {
      safeClose(
        old,
        CLOSE_SOCKET_REPLACED,
        `replaced: at most ${MAX_EVENT_SOCKETS_PER_SESSION} event sockets per session`,
      );
    }
    const pair = new WebSocketPair();
    const server = pair[1];
    this.#ctx.acceptWebSocket(server, [sessionId]);
    server.serializeAttachment(openCursor(sessionId, since, lastSeq, now));
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

  publish(sessionId: string, now: number): void {
    for (const ws of this.#ctx.getWebSockets(sessionId)) this.#pump(ws, now);
  }

  message(ws: WebSocket, data: string | ArrayBuffer, now: number): void {
    const cursor = ws.deserializeAttachment() as SocketCursor | null;
    if (!cursor) return;
    let state = this.#frames.get(ws);
    if (!state) {
      state = { windowStart: now, frames: 0 };
      this.#frames.set(ws, state);
    }
    if (!admitFrame(state, now, SOCKET_FRAME_LIMIT, SOCKET_FRAME_WINDOW_MS)) {
      safeClose(
        ws,
        CLOSE_TOO_MANY_FRAMES,
        `too many frames: at most ${SOCKET_FRAME_LIMIT} per ${SOCKET_FRAME_WINDOW_MS} ms`,
      );
      return;
    }
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
    this.#seen.set(cursor.sessionId, now);
    if (frame.data.type === 'ping') {
      safeSend(ws, PONG_FRAME);
      return;
    }
    ws.serializeAttachment(acknowledge(cursor, frame.data.seq));
    this.#pump(ws, now);
  }

  lastActivity(sessionId: string): number | null {
    let last = this.#seen.get(sessionId) ?? null;
    for (const ws of this.#ctx.getWebSockets(sessionId)) {
      const pinged = this.#ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? null;
      if (pinged !== null && (last === null || pinged > last)) last = pinged;
    }
    return last;
  }

  sweep(now: number): void {
    for (const ws of this.#ctx.getWebSockets()) this.#pump(ws, now);
    // Entries of sessions without sockets are of no use to the reaper any more.
    for (const id of this.#seen.keys()) {
      if (this.#ctx.getWebSockets(id).length === 0) this.#seen.delete(id);
    }
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

  #open(sessionId: string): WebSocket[] {
    return this.#ctx
      .getWebSockets(sessionId)
      .filter((ws) => ws.readyState === WebSocket.READY_STATE_OPEN);
  }

  #pump(ws: WebSocket, now: number): void {
    const cursor = ws.deserializeAttachment() as SocketCursor | null;
    if (!cursor || ws.readyState !== WebSocket.READY_STATE_OPEN) return;
    const session = this.#sessions.get(cursor.sessionId);
    if (!session) {
      safeClose(ws, CLOSE_SESSION_ENDED, 'session is gone');
      return;
    }
    let next = cursor;
    const range = sendRange(cursor, session.lastSeq, this.#limits.limit);
    if (range) {
      for (const text of this.#events.range(cursor.sessionId, range.from, range.to)) {
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
    if (cursor.stalledSince === null && stall.cursor.stalledSince !== null) {
      const at = stallDeadline(stall.cursor, this.#limits.graceMs);
      if (at !== null) this.#hooks.wake(at);
    }
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
