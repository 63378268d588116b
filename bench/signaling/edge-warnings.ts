/**
 * The edge's warnings and errors in workerd's log (its JSON log lines), counted by event and
 * reason, so a run with failed requests says why (e.g. `node_call_failed` / `timeout`).
 */

/** Counts `warn`/`error` JSON lines by `event` (+ `why`/`status`); pure (unit-tested). */
export function countWarnings(log: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of log.split('\n')) {
    if (!line.includes('"level":"warn"') && !line.includes('"level":"error"')) continue;
    const start = line.indexOf('{');
    if (start < 0) continue;
    try {
      const entry = JSON.parse(line.slice(start)) as Record<string, unknown>;
      const detail = entry.why ?? entry.status ?? entry.code;
      const key = `${String(entry.level)} ${String(entry.event)}${detail === undefined ? '' : ` (${String(detail)})`}`;
      counts[key] = (counts[key] ?? 0) + 1;
    } catch {
      // not one of the edge's JSON lines
    }
  }
  return counts;
}
