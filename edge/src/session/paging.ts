/**
 * One page of the session listing across shards: shards are read in order from the cursor's,
 * a few at a time, each asked for at most what the page still needs (plus one, which tells
 * whether the page ends with more to come).
 */
import type { SessionView } from '../../../shared/api.ts';
import type { ListCursor } from './cursor.ts';

export type ShardReader = (shard: number, afterId: string, limit: number) => Promise<SessionView[]>;

export interface Page {
  sessions: SessionView[];
  next: ListCursor | null;
}

export async function listPage(
  read: ShardReader,
  shardCount: number,
  start: ListCursor,
  limit: number,
  concurrency: number,
): Promise<Page> {
  const sessions: SessionView[] = [];
  let lastShard = start.s;
  for (let shard = start.s; shard < shardCount; shard += concurrency) {
    const need = limit - sessions.length;
    const batch = Array.from(
      { length: Math.min(concurrency, shardCount - shard) },
      (_, i) => shard + i,
    );
    const results = await Promise.all(
      batch.map((s) => read(s, s === start.s ? start.k : '', need + 1)),
    );
    for (const [i, views] of results.entries()) {
      for (const view of views) {
        if (sessions.length === limit) {
          const last = sessions[sessions.length - 1] as SessionView;
          return { sessions, next: { s: lastShard, k: last.sessionId } };
        }
        sessions.push(view);
        lastShard = batch[i] as number;
      }
    }
    if (sessions.length === limit) {
      // Full page at a batch boundary: later shards may still hold sessions.
      const more = shard + batch.length < shardCount;
      const last = sessions[sessions.length - 1] as SessionView;
      return { sessions, next: more ? { s: lastShard, k: last.sessionId } : null };
    }
  }
  return { sessions, next: null };
}
