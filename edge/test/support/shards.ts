/** Reaching a session's shard directly, to move its clock or read its storage back. */

import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { shardFor } from '../../../shared/hash.ts';
import { shardCount } from './edge.ts';

export function shardOf(sessionId: string) {
  return env.SESSION_SHARD.getByName(`shard-${shardFor(sessionId, shardCount())}`);
}

/** Moves a session's timestamps `ms` into the past, as if that much time had passed. */
export async function age(sessionId: string, ms: number): Promise<void> {
  await runInDurableObject(shardOf(sessionId), async (instance, state) => {
    state.storage.sql.exec(
      `UPDATE sessions SET created_at = created_at - ?1, updated_at = updated_at - ?1,
        expires_at = expires_at - ?1, last_activity = last_activity - ?1, deadline = deadline - ?1
        WHERE id = ?2`,
      ms,
      sessionId,
    );
    // Changed behind the object's back: its in-memory rows must be read again.
    instance.forgetCachedSessions();
    // A past alarm would fire on its own at once; a future one waits for runDurableObjectAlarm,
    // which runs it now (the handler reaps by the stored deadlines, now in the past).
    await state.storage.setAlarm(Date.now() + 60_000);
  });
}

/** The range of event seqs the shard still keeps for a session. */
export async function keptEvents(
  sessionId: string,
): Promise<{ n: number; min: number; max: number }> {
  return runInDurableObject(shardOf(sessionId), async (_instance, state) => {
    const row = state.storage.sql
      .exec(
        'SELECT COUNT(*) AS n, MIN(seq) AS min, MAX(seq) AS max FROM events WHERE session_id = ?',
        sessionId,
      )
      .one();
    return { n: Number(row.n), min: Number(row.min), max: Number(row.max) };
  });
}
