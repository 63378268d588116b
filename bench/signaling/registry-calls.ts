/**
 * Calls into the one NodeRegistry object per session create, from the edge's own counters
 * (`media_edge_registry_calls_total{op}` and `media_edge_sessions_created_total`) scraped before
 * and after a create run. The scrape's own registry call (`op="metrics"`) is left out.
 */
import { API_BASE } from '../../shared/api.ts';
import { parseMetrics } from '../../test/support/prometheus.ts';

export interface CreateCounters {
  /** Registry calls by operation, the scrape's own excluded. */
  registryCalls: Record<string, number>;
  created: number;
}

export async function readCreateCounters(edgeUrl: string, adminToken: string) {
  const res = await fetch(`${edgeUrl}${API_BASE}/metrics`, {
    headers: { authorization: `Bearer ${adminToken}` },
  });
  if (!res.ok) throw new Error(`metrics scrape: ${res.status}`);
  const families = parseMetrics(await res.text());
  const registryCalls: Record<string, number> = {};
  for (const s of families.get('media_edge_registry_calls_total')?.samples ?? []) {
    const op = s.labels.op ?? '';
    if (op !== 'metrics') registryCalls[op] = (registryCalls[op] ?? 0) + s.value;
  }
  const created = (families.get('media_edge_sessions_created_total')?.samples ?? []).reduce(
    (sum, s) => sum + s.value,
    0,
  );
  return { registryCalls, created } satisfies CreateCounters;
}

/** Registry calls per create between two readings, with the calls by operation. */
export function perCreate(before: CreateCounters, after: CreateCounters) {
  const byOp: Record<string, number> = {};
  for (const [op, n] of Object.entries(after.registryCalls)) {
    const d = n - (before.registryCalls[op] ?? 0);
    if (d > 0) byOp[op] = d;
  }
  const calls = Object.values(byOp).reduce((a, b) => a + b, 0);
  const creates = after.created - before.created;
  return { calls, creates, byOp, perCreate: creates > 0 ? calls / creates : Number.NaN };
}
