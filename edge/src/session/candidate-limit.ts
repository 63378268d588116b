/** The per-session ICE candidate cap (the guide's limit A). */
import type { IceCandidateInit } from '../../../shared/api.ts';

export type CandidateAdmission =
  | { ok: true; counted: number; total: number }
  | { ok: false; limit: number; accepted: number };

/**
 * Every entry counts, end-of-candidates markers (`{"candidate":""}`) included: a marker is one
 * entry the node has to process like any other, and left uncounted it let a client send 10,000.
 * A client sends one marker per ICE generation, so the cap costs an honest client nothing.
 */
export function countCandidates(candidates: readonly IceCandidateInit[]): number {
  return candidates.length;
}

/**
 * Admits a request's candidates whole or not at all: a request that would pass `limit` is
 * refused entirely so the client knows exactly which candidates the node has.
 */
export function admitCandidates(
  accepted: number,
  candidates: readonly IceCandidateInit[],
  limit: number,
): CandidateAdmission {
  const counted = countCandidates(candidates);
  if (accepted + counted > limit) return { ok: false, limit, accepted };
  return { ok: true, counted, total: accepted + counted };
}
