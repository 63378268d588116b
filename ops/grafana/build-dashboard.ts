/**
 * Writes ops/grafana/media-service-dashboard.json from panels.ts.
 * Run: `npm run ops:dashboard`. A unit test keeps the committed JSON in step with panels.ts.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type Panel, panels } from './panels.ts';

/** Grafana's reference to the `datasource` template variable (not a JS template). */
export const DATASOURCE_VARIABLE = '$' + '{datasource}';
const DATASOURCE = { type: 'prometheus', uid: DATASOURCE_VARIABLE };
const COLUMNS = 24;
const WIDTH = 12;
const HEIGHT = 8;

function panelJson(panel: Panel, index: number): Record<string, unknown> {
  return {
    id: index + 1,
    type: panel.kind,
    title: panel.title,
    description: panel.description,
    datasource: DATASOURCE,
    gridPos: {
      x: (index * WIDTH) % COLUMNS,
      y: Math.floor((index * WIDTH) / COLUMNS) * HEIGHT,
      w: WIDTH,
      h: HEIGHT,
    },
    fieldConfig: { defaults: { unit: panel.unit }, overrides: [] },
    options: {},
    targets: panel.queries.map((q, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: DATASOURCE,
      expr: q.expr,
      legendFormat: q.legend,
    })),
  };
}

/** The importable dashboard; the datasource is a template variable chosen on import. */
export function buildDashboard(): Record<string, unknown> {
  return {
    title: 'Media service',
    uid: 'media-service',
    tags: ['media', 'webrtc'],
    timezone: 'browser',
    schemaVersion: 39,
    version: 1,
    refresh: '10s',
    time: { from: 'now-1h', to: 'now' },
    templating: {
      list: [
        {
          name: 'datasource',
          label: 'Prometheus',
          type: 'datasource',
          query: 'prometheus',
          current: {},
          hide: 0,
        },
      ],
    },
    panels: panels.map(panelJson),
  };
}

export const DASHBOARD_PATH = fileURLToPath(
  new URL('./media-service-dashboard.json', import.meta.url),
);

export function dashboardText(): string {
  return `${JSON.stringify(buildDashboard(), null, 2)}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(DASHBOARD_PATH, dashboardText());
  console.log(`wrote ${DASHBOARD_PATH} (${panels.length} panels)`);
}
