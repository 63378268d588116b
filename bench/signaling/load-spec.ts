/** What one load run asks of the load generator process, and what it reports back. */

export interface LoadSpec {
  /** Origin, e.g. `http://127.0.0.1:8787`. */
  origin: string;
  method: 'GET' | 'POST' | 'DELETE';
  /** Paths used in turn, one per request (round-robin over all connections). */
  paths: string[];
  headers: Record<string, string>;
  body?: string;
  connections: number;
  durationSeconds: number;
  /** Stop after this many requests (e.g. one DELETE per existing session). */
  amount?: number;
  /** Write the `sessionId` of every 2xx JSON reply to this file, one per line. */
  collectSessionIdsTo?: string;
}

export interface LoadResult {
  requests: number;
  durationSeconds: number;
  reqPerSec: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  status2xx: number;
  non2xx: number;
  statusCodes: Record<string, number>;
  errors: number;
  timeouts: number;
  /** CPU the load generator itself used during the run (user + system), seconds. */
  generatorCpuSeconds: number;
}

/** Round-robin over `items`, shared by every connection. */
export function roundRobin<T>(items: readonly T[]): () => T {
  if (items.length === 0) throw new Error('roundRobin needs at least one item');
  let i = 0;
  return () => {
    const item = items[i % items.length] as T;
    i += 1;
    return item;
  };
}
