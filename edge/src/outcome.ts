/**
 * Results that cross the Durable Object RPC boundary. RPC keeps only an error's message, so
 * domain errors travel as data and become a `MediaError` again on the caller's side.
 */
import { type ErrorCode, type ErrorDetails, MediaError } from '../../shared/errors.ts';

export interface WireError {
  code: ErrorCode;
  message: string;
  details: ErrorDetails;
  retryAfterSeconds?: number;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: WireError };

export function success<T>(value: T): Outcome<T> {
  return { ok: true, value };
}

/** Runs `fn`, turning a thrown `MediaError` into a failed outcome (anything else propagates). */
export async function capture<T>(fn: () => T | Promise<T>): Promise<Outcome<T>> {
  try {
    return success(await fn());
  } catch (err) {
    if (!(err instanceof MediaError)) throw err;
    const error: WireError = { code: err.code, message: err.message, details: err.details };
    if (err.retryAfterSeconds !== undefined) error.retryAfterSeconds = err.retryAfterSeconds;
    return { ok: false, error };
  }
}

/** The value, or the `MediaError` the other side threw. */
export function unwrap<T>(outcome: Outcome<T>): T {
  if (outcome.ok) return outcome.value;
  const e = outcome.error;
  throw new MediaError(e.code, e.message, e.details, e.retryAfterSeconds);
}
