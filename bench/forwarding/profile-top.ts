/** The top functions by self time of the newest V8 `.cpuprofile` written in a directory. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
}

/** Self-time shares of the `n` heaviest functions in the newest profile written after `sinceMs`. */
export function topOfProfile(dir: string, sinceMs: number, n: number) {
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => ({ f, t: statSync(join(dir, f)).mtimeMs }))
    .filter((x) => x.t >= sinceMs)
    .sort((a, b) => b.t - a.t);
  const newest = files[0];
  if (!newest) return [{ function: 'no profile written', share: 0 }];
  const profile = JSON.parse(readFileSync(join(dir, newest.f), 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  for (const id of profile.samples) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.split('/').slice(-2).join('/');
    const key = `${functionName || '(anonymous)'} ${file}:${lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + 1);
  }
  const total = profile.samples.length || 1;
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([fn, count]) => ({ function: fn, 'self %': Math.round((count / total) * 1000) / 10 }))
    .concat([{ function: `(profile ${newest.f})`, 'self %': 100 }]);
}
