/**
 * Errors caught inside werift callbacks: counted per source (a bounded label: the `where`
 * strings are code constants) and logged at most once per second per source, because some
 * (a send on a closing transport) can repeat for every packet.
 */
import type { Logger } from '../log.ts';
import type { ErrorReporter } from '../util/guard.ts';
import type { Metrics } from './metrics.ts';

const LOG_INTERVAL_MS = 1_000;

export function createErrorReporter(log: Logger, metrics: Metrics): ErrorReporter {
  const lastLogged = new Map<string, number>();
  const suppressed = new Map<string, number>();
  return (error, where) => {
    metrics.internalErrors.inc({ source: where });
    const now = Date.now();
    if (now - (lastLogged.get(where) ?? 0) < LOG_INTERVAL_MS) {
      suppressed.set(where, (suppressed.get(where) ?? 0) + 1);
      return;
    }
    lastLogged.set(where, now);
    const repeats = suppressed.get(where) ?? 0;
    suppressed.delete(where);
    log.warn({ err: error, where, suppressedSinceLast: repeats }, 'callback_error');
  };
}
