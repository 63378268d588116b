/**
 * Reaping decisions for a shard's alarm: which sessions time out, which ended sessions are
 * deleted, and when the alarm must fire next. Pure; the shard applies the decisions.
 */
import type { EndReason, SessionState } from '../../../shared/api.ts';

export interface ReapableSession {
  id: string;
  state: SessionState;
  /** Connect deadline (ms since epoch). */
  expiresAt: number;
  /** Last client or node activity (ms). */
  lastActivity: number;
  updatedAt: number;
}

export interface ReapTimings {
  idleTimeoutMs: number;
  retentionMs: number;
}

export type ReapAction =
  | { kind: 'fail'; id: string; reason: EndReason }
  | { kind: 'delete'; id: string };

/** The action due for one session at `now`, if any. */
export function reapAction(
  s: ReapableSession,
  now: number,
  t: ReapTimings,
): ReapAction | undefined {
  switch (s.state) {
    case 'new':
    case 'negotiating':
      return now >= s.expiresAt ? { kind: 'fail', id: s.id, reason: 'connect_timeout' } : undefined;
    case 'connected':
      return now >= s.lastActivity + t.idleTimeoutMs
        ? { kind: 'fail', id: s.id, reason: 'idle' }
        : undefined;
    case 'closed':
    case 'failed':
      return now >= s.updatedAt + t.retentionMs ? { kind: 'delete', id: s.id } : undefined;
  }
}

/** When this session next needs the reaper (ms since epoch). */
export function nextDeadline(s: ReapableSession, t: ReapTimings): number {
  switch (s.state) {
    case 'new':
    case 'negotiating':
      return s.expiresAt;
    case 'connected':
      return s.lastActivity + t.idleTimeoutMs;
    case 'closed':
    case 'failed':
      return s.updatedAt + t.retentionMs;
  }
}

/** The earliest of several optional deadlines, or null when there is none. */
export function earliest(...times: Array<number | null | undefined>): number | null {
  let best: number | null = null;
  for (const t of times) if (t !== null && t !== undefined && (best === null || t < best)) best = t;
  return best;
}
