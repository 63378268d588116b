/**
 * A live session's quality stats, asked of its media node when a client reads the session
 * (`GET /api/media/sessions/:id`). The node keeps the figures of its last stats interval (1 s),
 * so a read costs one signed call and the node a lookup; the shard writes nothing.
 *
 * Pull rather than push: reads are rare next to the stats' rate, and a node pushing every
 * session's stats every second would cost the shards a request per session per second whether
 * anyone looks or not. A node that does not answer in time leaves the stats null: the session
 * itself is still shown.
 */
import { nodeSessionStatsSchema } from '../../../shared/node-replies.ts';
import type { SessionStats } from '../../../shared/stats.ts';
import { log } from '../log.ts';
import { callNode, type NodeTarget } from './node-client.ts';

/** The most a read waits for the node's stats, in ms (the session view does not wait longer). */
export const STATS_TIMEOUT_MS = 1_000;

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
