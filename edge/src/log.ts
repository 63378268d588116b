/**
 * Structured logs: one JSON object per line, which Workers Logs and `wrangler tail` index.
 * Callers pass ids and codes, never secrets, tokens, SDP or signatures.
 */
type Level = 'debug' | 'info' | 'warn' | 'error';
type Fields = Record<string, string | number | boolean | null | undefined>;

export function log(level: Level, event: string, fields: Fields = {}): void {
  const line = JSON.stringify({ level, event, ...fields, ts: new Date().toISOString() });
  if (level === 'error') console.error(line);
  else if (level === 'warn') console.warn(line);
  else console.log(line);
}
