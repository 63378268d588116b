/**
 * A strict parser for the Prometheus text exposition format (0.0.4), for tests.
 *
 * Why not `parse-prometheus-text-format`: it collapses every series of a histogram into one
 * object and drops their labels, `_count` and `_sum` as soon as any label besides `le` exists
 * (ours all carry `node_id`). This parser keeps every sample and rejects malformed input:
 * bad names, bad escapes, unknown types, TYPE after samples or twice, a family's samples split
 * up, histogram series without `le`, decreasing buckets or a `+Inf` bucket unequal to `_count`.
 */

export interface Sample {
  /** Full sample name, e.g. `x_bucket`. */
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricFamily {
  name: string;
  help: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Record<string, string[]> = {
  histogram: ['_bucket', '_sum', '_count', '_created'],
  summary: ['_sum', '_count', '_created'],
  counter: ['_total', '_created'],
};

export function parseMetrics(text: string): Map<string, MetricFamily> {
  const families = new Map<string, MetricFamily>();
  const closed = new Set<string>();
  let current: MetricFamily | undefined;
  const family = (name: string): MetricFamily => {
    let f = families.get(name);
    if (!f) {
      f = { name, help: '', type: 'untyped', samples: [] };
      families.set(name, f);
    }
    return f;
  };
  for (const [i, line] of text.split('\n').entries()) {
    const fail = (why: string): never => {
      throw new Error(`metrics line ${i + 1}: ${why}: ${JSON.stringify(line)}`);
    };
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (!m) continue; // plain comment
      const [, keyword, name = '', rest = ''] = m;
      if (!METRIC_NAME.test(name)) fail('bad metric name');
      const f = family(name);
      if (keyword === 'HELP') f.help = unescapeText(rest, false, fail);
      else {
        if (!TYPES.has(rest)) fail('unknown type');
        if (f.samples.length > 0 || f.type !== 'untyped') fail('TYPE after samples or repeated');
        f.type = rest as MetricFamily['type'];
      }
      continue;
    }
    const sample = parseSample(line, fail);
    const owner = familyOf(sample.name, families);
    const f = family(owner);
    if (current !== f) {
      if (current) closed.add(current.name);
      if (closed.has(f.name)) fail('samples of a family are not contiguous');
      current = f;
    }
    f.samples.push(sample);
  }
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

function familyOf(sampleName: string, families: Map<string, MetricFamily>): string {
  for (const [name, f] of families) {
    if (name === sampleName) return name;
    if ((SUFFIXES[f.type] ?? []).some((s) => name + s === sampleName)) return name;
  }
  return sampleName;
}

function parseSample(line: string, fail: (why: string) => never): Sample {
  const nameEnd = line.search(/[{ ]/);
  if (nameEnd <= 0) fail('no value');
  const name = line.slice(0, nameEnd);
  if (!METRIC_NAME.test(name)) fail('bad metric name');
  const labels: Record<string, string> = {};
  let pos = nameEnd;
  if (line[pos] === '{') {
    pos++;
    while (line[pos] !== '}') {
      const eq = line.indexOf('=', pos);
      if (eq < 0) fail('unterminated labels');
      const key = line.slice(pos, eq).trim();
      if (!LABEL_NAME.test(key)) fail(`bad label name ${key}`);
      if (key in labels) fail(`duplicate label ${key}`);
      if (line[eq + 1] !== '"') fail('label value not quoted');
      let j = eq + 2;
      let raw = '';
      while (j < line.length && line[j] !== '"') {
        if (line[j] === '\\') raw += line[j++];
        raw += line[j++] ?? '';
      }
      if (j >= line.length) fail('unterminated label value');
      labels[key] = unescapeText(raw, true, fail);
      pos = j + 1;
      if (line[pos] === ',') pos++;
      else if (line[pos] !== '}') fail('expected , or }');
    }
    pos++;
  }
  const parts = line.slice(pos).trim().split(/\s+/);
  if (parts.length < 1 || parts.length > 2 || parts[0] === '') fail('expected value [timestamp]');
  const value = parseValue(parts[0] ?? '', fail);
  if (parts[1] !== undefined && !/^-?\d+$/.test(parts[1])) fail('bad timestamp');
  return { name, labels, value };
}

/**
 * Values as Prometheus reads them (Go's `strconv.ParseFloat`): NaN and Inf in any letter case.
 * prom-client writes `Nan` (e.g. an event-loop lag gauge before its first sample).
 */
function parseValue(text: string, fail: (why: string) => never): number {
  const lower = text.toLowerCase();
  if (lower === '+inf' || lower === 'inf') return Number.POSITIVE_INFINITY;
  if (lower === '-inf') return Number.NEGATIVE_INFINITY;
  if (lower === 'nan') return Number.NaN;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) fail('bad value');
  return Number(text);
}

function unescapeText(raw: string, quoted: boolean, fail: (why: string) => never): string {
  return raw.replace(/\\(.)/g, (_, c: string) => {
    if (c === 'n') return '\n';
    if (c === '\\') return '\\';
    if (c === '"' && quoted) return '"';
    return fail(`bad escape \\${c}`);
  });
}

function checkHistogram(f: MetricFamily): void {
  const series = new Map<string, { buckets: Array<[number, number]>; count?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const entry = series.get(key) ?? { buckets: [] };
    series.set(key, entry);
    if (s.name === `${f.name}_bucket`) {
      if (le === undefined) throw new Error(`${f.name}: bucket without le`);
      entry.buckets.push([
        parseValue(le, (why) => {
          throw new Error(why);
        }),
        s.value,
      ]);
    } else if (s.name === `${f.name}_count`) entry.count = s.value;
  }
  for (const [key, { buckets, count }] of series) {
    for (let i = 1; i < buckets.length; i++) {
      const [prevLe, prev] = buckets[i - 1] as [number, number];
      const [le, value] = buckets[i] as [number, number];
      if (le <= prevLe || value < prev) throw new Error(`${f.name}${key}: buckets not increasing`);
    }
    const inf = buckets.at(-1);
    if (!inf || inf[0] !== Number.POSITIVE_INFINITY || inf[1] !== count) {
      throw new Error(`${f.name}${key}: +Inf bucket missing or unequal to _count`);
    }
  }
}

/** The value of sample `name` (exact sample name) whose labels include `labels`; 0 if none. */
export function sampleValue(
  families: Map<string, MetricFamily>,
  name: string,
  labels: Record<string, string> = {},
): number {
  for (const f of families.values()) {
    for (const s of f.samples) {
      if (s.name !== name) continue;
      if (Object.entries(labels).every(([k, v]) => s.labels[k] === v)) return s.value;
    }
  }
  return 0;
}
