/**
 * A live session's quality stats, asked of its media node when a client reads the session
 * (`GET /api/media/sessions/:id`). The node keeps the figures of its last stats interval (1 s),
 * so a read costs one signed call and the node a lookup; the shard writes nothing.
 *
 * Pull rather than push: reads are rare next to the stats' rate, and a node pushing every
 * session's stats every second would cost the shards a request per session per second whether
 * anyone looks or not. A node that does not answer in time leaves the stats null: the session
 * itself is still shown.
 *
 * The node's figures change once per interval, so an isolate keeps each session's answer (or
 * the call in flight) for `STATS_CACHE_MS`: a client polling its session, or a hundred reading
 * it at once, cost the node one call per second, and the stats a read shows are at most two
 * intervals old (the issue's "fresh within 2 s").
 */
import { nodeSessionStatsSchema } from '../../../shared/node-replies.ts';
import type { SessionStats } from '../../../shared/stats.ts';
import { log } from '../log.ts';
import { callNode, type NodeTarget } from './node-client.ts';

/** The most a read waits for the node's stats, in ms (the session view does not wait longer). */
export const STATS_TIMEOUT_MS = 1_000;

/** How long an isolate reuses a session's stats, in ms: the node's stats interval. */
export const STATS_CACHE_MS = 1_000;
/** Sessions whose stats an isolate keeps at most (the oldest entry goes first). */
export const STATS_CACHE_ENTRIES = 4_096;

const cache = new Map<string, { until: number; stats: Promise<SessionStats | null> }>();

/** The session's stats from this isolate's cache when younger than `STATS_CACHE_MS`, else the node's. */
export function sessionStats(
  node: NodeTarget,
  sessionId: string,
  options: { secret: string; timeoutMs: number },
): Promise<SessionStats | null> {
  const key = `${node.id}/${sessionId}`;
  const now = Date.now();
  const hit = cache.get(key);
  if (hit && hit.until > now) return hit.stats;
  cache.delete(key);
  if (cache.size >= STATS_CACHE_ENTRIES) {
    for (const [k, v] of cache) {
      if (cache.size < STATS_CACHE_ENTRIES && v.until > now) break;
      cache.delete(k);
    }
  }
  const stats = fetchSessionStats(node, sessionId, options);
  cache.set(key, { until: now + STATS_CACHE_MS, stats });
  return stats;
}

export async function fetchSessionStats(
  node: NodeTarget,
  sessionId: string,
  options: { secret: string; timeoutMs: number },
): Promise<SessionStats | null> {
  let reply: unknown;
  try {
    reply = await callNode(
      node,
      { method: 'GET', path: `/sessions/${encodeURIComponent(sessionId)}` },
      { secret: options.secret, timeoutMs: Math.min(options.timeoutMs, STATS_TIMEOUT_MS) },
    );
  } catch {
    return null; // callNode logged why
  }
  const parsed = nodeSessionStatsSchema.safeParse(reply);
  if (!parsed.success || parsed.data.sessionId !== sessionId) {
    log('warn', 'node_stats_invalid', { node: node.id });
    return null;
  }
  return parsed.data.stats;
}
