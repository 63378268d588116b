/**
 * The session state machine: `new -> negotiating -> connected -> closed`, or `-> failed` with a
 * reason. Pure: callers store the result.
 */
import type { EndReason, SessionState } from '../../../shared/api.ts';

export type Transition =
  | { kind: 'offer' }
  | { kind: 'connected' }
  | { kind: 'close'; reason: EndReason }
  | { kind: 'fail'; reason: EndReason };

export type TransitionResult =
  | { ok: true; state: SessionState; reason?: EndReason; changed: boolean }
  | { ok: false; message: string };

/** Reasons that end a session as `closed` rather than `failed`. */
const CLOSE_REASONS: ReadonlySet<EndReason> = new Set(['closed_by_client', 'closed_by_admin']);

export function isTerminal(state: SessionState): boolean {
  return state === 'closed' || state === 'failed';
}

/** The terminal state an end reason leads to. */
export function endStateFor(reason: EndReason): 'closed' | 'failed' {
  return CLOSE_REASONS.has(reason) ? 'closed' : 'failed';
}

/**
 * Applies `t` to a session in `state`. A client offer is allowed until the session ends (a
 * connected session may renegotiate); `connected` only follows an offer; ending an ended session
 * is an error for clients and a no-op for node reports (callers pick by `changed`).
 */
export function transition(state: SessionState, t: Transition): TransitionResult {
  if (isTerminal(state)) {
    return { ok: false, message: `session is ${state}` };
  }
  switch (t.kind) {
    case 'offer':
      return { ok: true, state: state === 'new' ? 'negotiating' : state, changed: state === 'new' };
    case 'connected':
      if (state === 'new') return { ok: false, message: 'session has no offer yet' };
      return { ok: true, state: 'connected', changed: state !== 'connected' };
    case 'close':
    case 'fail':
      return { ok: true, state: endStateFor(t.reason), reason: t.reason, changed: true };
  }
}

/** States in which the client may send an answer or trickle candidates (the node knows it). */
export function acceptsSignaling(state: SessionState): boolean {
  return state === 'negotiating' || state === 'connected';
}
