/** Renders samples from many Durable Objects as one Prometheus text exposition. */
import {
  decodeLabels,
  EDGE_METRICS,
  type MetricDefinition,
  type MetricKey,
  type MetricSample,
} from './definitions.ts';

function escapeLabel(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

/** `{a="x",b="y"}` from a definition's label names and an encoded label (empty: no braces). */
function labelSet(names: readonly string[], label: string, extra: string[] = []): string {
  const values = decodeLabels(label);
  const pairs = names.map((n, i) => `${n}="${escapeLabel(values[i] ?? '')}"`).concat(extra);
  return pairs.length === 0 ? '' : `{${pairs.join(',')}}`;
}

/** Prometheus' float text: integers plainly, `+Inf` for infinity. */
function formatNumber(n: number): string {
  if (n === Number.POSITIVE_INFINITY) return '+Inf';
  return String(n);
}

interface Sums {
  scalars: Map<string, number>;
  histograms: Map<string, { counts: number[]; sum: number }>;
}

/** Adds up what each object reported (each counts its own share) per metric and label. */
function sumSamples(samples: readonly MetricSample[]): Map<MetricKey, Sums> {
  const byMetric = new Map<MetricKey, Sums>();
  for (const s of samples) {
    const sums = byMetric.get(s.metric) ?? { scalars: new Map(), histograms: new Map() };
    byMetric.set(s.metric, sums);
    if ('counts' in s) {
      const h = sums.histograms.get(s.label) ?? { counts: [], sum: 0 };
      s.counts.forEach((c, i) => {
        h.counts[i] = (h.counts[i] ?? 0) + c;
      });
      h.sum += s.sum;
      sums.histograms.set(s.label, h);
    } else {
      sums.scalars.set(s.label, (sums.scalars.get(s.label) ?? 0) + s.value);
    }
  }
  return byMetric;
}

function byLabel<T>(entries: Map<string, T>): Array<[string, T]> {
  return [...entries].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }));
}

function histogramLines(def: MetricDefinition, sums: Sums | undefined, lines: string[]): void {
  const names = def.labels ?? [];
  const bounds = [...(def.buckets ?? []), Number.POSITIVE_INFINITY];
  for (const [label, h] of byLabel(sums?.histograms ?? new Map())) {
    let cumulative = 0;
    bounds.forEach((le, i) => {
      cumulative += h.counts[i] ?? 0;
      const set = labelSet(names, label, [`le="${formatNumber(le)}"`]);
      lines.push(`${def.name}_bucket${set} ${cumulative}`);
    });
    lines.push(`${def.name}_sum${labelSet(names, label)} ${h.sum}`);
    lines.push(`${def.name}_count${labelSet(names, label)} ${cumulative}`);
  }
}

/**
 * Sums samples with the same metric and label and prints every defined metric: `0` for
 * unlabelled ones nobody reported and for the declared `initial` label values, so dashboards and
 * `rate()` see them from the start.
 */
export function renderPrometheus(samples: readonly MetricSample[]): string {
  const sums = sumSamples(samples);
  const lines: string[] = [];
  for (const key of Object.keys(EDGE_METRICS) as MetricKey[]) {
    const def: MetricDefinition = EDGE_METRICS[key];
    lines.push(`# HELP ${def.name} ${def.help}`, `# TYPE ${def.name} ${def.type}`);
    if (def.type === 'histogram') {
      histogramLines(def, sums.get(key), lines);
      continue;
    }
    const scalars = new Map(sums.get(key)?.scalars);
    if (!def.labels) scalars.set('', scalars.get('') ?? 0);
    for (const value of def.initial ?? []) scalars.set(value, scalars.get(value) ?? 0);
    for (const [label, value] of byLabel(scalars)) {
      lines.push(`${def.name}${labelSet(def.labels ?? [], label)} ${value}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
