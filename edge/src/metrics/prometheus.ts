/** Renders samples from many Durable Objects as one Prometheus text exposition. */
import { EDGE_METRICS, type MetricKey, type MetricSample } from './definitions.ts';

function escapeLabel(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

/**
 * Sums samples with the same metric and label (shards each count their own share) and prints
 * every defined metric, with `0` for unlabelled ones nobody reported so dashboards see them.
 */
export function renderPrometheus(samples: readonly MetricSample[]): string {
  const sums = new Map<MetricKey, Map<string, number>>();
  for (const s of samples) {
    const byLabel = sums.get(s.metric) ?? new Map<string, number>();
    byLabel.set(s.label, (byLabel.get(s.label) ?? 0) + s.value);
    sums.set(s.metric, byLabel);
  }
  const lines: string[] = [];
  for (const key of Object.keys(EDGE_METRICS) as MetricKey[]) {
    const def: { name: string; type: string; help: string; label?: string } = EDGE_METRICS[key];
    lines.push(`# HELP ${def.name} ${def.help}`, `# TYPE ${def.name} ${def.type}`);
    const byLabel = sums.get(key);
    if (!def.label) {
      lines.push(`${def.name} ${byLabel?.get('') ?? 0}`);
      continue;
    }
    const entries = [...(byLabel ?? new Map<string, number>())].sort(([a], [b]) =>
      a.localeCompare(b, 'en', { numeric: true }),
    );
    for (const [label, value] of entries) {
      lines.push(`${def.name}{${def.label}="${escapeLabel(label)}"} ${value}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
