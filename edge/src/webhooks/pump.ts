/**
 * One run of a dispatcher's alarm: for each receiver, attempt its oldest delivery if due, and
 * keep going while they succeed; a failure reschedules that receiver's head with backoff and
 * stops the receiver for this run (so later events never overtake it), a 410 disables it.
 * Receivers run side by side; one slow receiver does not hold up the others.
 */
import { afterFailure, type BackoffPolicy } from './backoff.ts';
import type { AttemptResult } from './deliver.ts';
import type { Delivery, Outbox } from './outbox.ts';

export interface PumpDeps {
  outbox: Outbox;
  policy: BackoffPolicy;
  attempt(delivery: Delivery): Promise<AttemptResult>;
  /** A receiver answered 410: the caller disables it (here and on the other dispatchers). */
  gone(url: string, status: number): Promise<void>;
  now(): number;
  random?: () => number;
}

/** Deliveries per receiver per run: the alarm re-arms at once for the rest. */
export const PUMP_BATCH = 100;

/** Runs what is due; returns when the alarm should fire next (null: nothing queued). */
export async function pump(deps: PumpDeps): Promise<number | null> {
  const { outbox } = deps;
  await Promise.all(outbox.heads().map((h) => pumpReceiver(deps, h.url)));
  let next: number | null = null;
  for (const h of outbox.heads()) next = next === null ? h.nextAt : Math.min(next, h.nextAt);
  return next;
}

async function pumpReceiver(deps: PumpDeps, url: string): Promise<void> {
  const { outbox } = deps;
  for (let i = 0; i < PUMP_BATCH; i++) {
    const head = outbox.head(url);
    if (!head || head.nextAt > deps.now()) return;
    const result = await deps.attempt(head);
    const now = deps.now();
    switch (result.kind) {
      case 'delivered':
        outbox.remove(head.seq);
        outbox.count('webhooks_delivered');
        break;
      case 'gone':
        await deps.gone(url, result.status);
        return;
      case 'failed': {
        const next = afterFailure(deps.policy, head, now, deps.random);
        if (next.kind === 'give_up') {
          // Past the retry window: drop it so the receiver's later events can go.
          outbox.remove(head.seq);
          outbox.count('webhooks_failed', 'expired');
          break;
        }
        outbox.reschedule(head.seq, head.attempts + 1, next.at);
        outbox.count('webhooks_retried');
        return;
      }
    }
  }
}
