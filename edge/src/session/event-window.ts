/**
 * Backpressure for event sockets (the guide's limit B), on plain data.
 *
 * The Workers runtime does not expose a socket's `bufferedAmount`, so the bound is on sequence
 * numbers: at most `limit` events are sent and not yet acknowledged; later events wait in
 * storage (not memory) until the client acks. A client more than `limit` events behind for
 * longer than `graceMs` is a slow consumer and gets closed.
 */

/** Per-socket progress; small and serializable (kept as the hibernating socket's attachment). */
export interface SocketCursor {
  sessionId: string;
  /** Highest seq the client acknowledged. */
  acked: number;
  /** Highest seq sent on this socket. */
  sent: number;
  /** When the client first fell more than `limit` behind, ms since epoch; null when keeping up. */
  stalledSince: number | null;
  /** When the socket opened, ms since epoch (the oldest goes first past the socket cap). */
  openedAt: number;
}

export interface WindowLimits {
  limit: number;
  graceMs: number;
}

export function openCursor(
  sessionId: string,
  since: number,
  lastSeq: number,
  now: number,
): SocketCursor {
  const start = Math.max(0, Math.min(since, lastSeq));
  return { sessionId, acked: start, sent: start, stalledSince: null, openedAt: now };
}

/**
 * Which of a session's open sockets to close so that one more fits under `max`: the oldest.
 * Pure: takes (socket, openedAt) pairs in any order.
 */
export function socketsToEvict<T>(
  open: ReadonlyArray<{ socket: T; openedAt: number }>,
  max: number,
): T[] {
  const excess = open.length + 1 - max;
  if (excess <= 0) return [];
  return [...open]
    .sort((a, b) => a.openedAt - b.openedAt)
    .slice(0, excess)
    .map((o) => o.socket);
}

/**
 * A fixed-window frame counter per socket: true while the socket stays within `limit` frames
 * per `windowMs`. Mutates `state` (kept in memory beside the socket).
 */
export function admitFrame(
  state: { windowStart: number; frames: number },
  now: number,
  limit: number,
  windowMs: number,
): boolean {
  if (now - state.windowStart >= windowMs) {
    state.windowStart = now;
    state.frames = 0;
  }
  state.frames += 1;
  return state.frames <= limit;
}

/** True when resuming after `since` needs events older than the `kept` newest ones. */
export function resumeGap(since: number, lastSeq: number, kept: number): boolean {
  return since < lastSeq - kept;
}

/** The seq range to send now (inclusive), or null when the window is full or nothing is new. */
export function sendRange(
  cursor: SocketCursor,
  lastSeq: number,
  limit: number,
): { from: number; to: number } | null {
  const to = Math.min(lastSeq, cursor.acked + limit);
  return to > cursor.sent ? { from: cursor.sent + 1, to } : null;
}

/** Records an ack; acks beyond what was sent or going backwards are clamped, not trusted. */
export function acknowledge(cursor: SocketCursor, seq: number): SocketCursor {
  return { ...cursor, acked: Math.max(cursor.acked, Math.min(seq, cursor.sent)) };
}

export type StallVerdict = 'ok' | 'stalled' | 'close';

/** Whether the client keeps up with `lastSeq` at `now`; updates `stalledSince`. */
export function checkStall(
  cursor: SocketCursor,
  lastSeq: number,
  now: number,
  { limit, graceMs }: WindowLimits,
): { cursor: SocketCursor; verdict: StallVerdict } {
  if (lastSeq - cursor.acked <= limit) {
    return { cursor: { ...cursor, stalledSince: null }, verdict: 'ok' };
  }
  const since = cursor.stalledSince ?? now;
  const next = { ...cursor, stalledSince: since };
  return { cursor: next, verdict: now - since > graceMs ? 'close' : 'stalled' };
}

/** When a stalled socket must be checked again (an alarm time), or null. */
export function stallDeadline(cursor: SocketCursor, graceMs: number): number | null {
  return cursor.stalledSince === null ? null : cursor.stalledSince + graceMs + 1;
}
