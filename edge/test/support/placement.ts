/** Placement helpers for the Workers-runtime tests: the directory's age, the edge's counters. */
import { env } from 'cloudflare:workers';
import { authed, call, token, uid } from './edge.ts';

/** NODE_DIRECTORY_MAX_AGE_MS as the tests run (edge/vitest.config.mts). */
export function directoryMaxAgeMs(): number {
  return Number(env.NODE_DIRECTORY_MAX_AGE_MS);
}

/** Waits until every placer's copy of the node directory is older than its max age. */
export function directoryAged(): Promise<void> {
  return new Promise((r) => setTimeout(r, directoryMaxAgeMs() + 50));
}

/** The edge's metrics text (admin scrape). */
export async function scrape(): Promise<string> {
  const res = await call(
    '/api/media/metrics',
    authed(await token(uid('ops'), { admin: true }), 'GET'),
  );
  if (res.status !== 200) throw new Error(`metrics ${res.status}`);
  return res.text();
}

/** The value of `name{label="value"}` (or of `name` without labels) in a scrape; 0 if absent. */
export function metric(text: string, name: string, label?: [string, string]): number {
  const series = label ? `${name}{${label[0]}="${label[1]}"}` : name;
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : 0;
}
