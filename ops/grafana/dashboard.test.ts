import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DASHBOARD_PATH, DATASOURCE_VARIABLE, dashboardText } from './build-dashboard.ts';
import { panels } from './panels.ts';

describe('grafana dashboard', () => {
  it('is committed as generated from panels.ts (run npm run ops:dashboard)', () => {
    expect(readFileSync(DASHBOARD_PATH, 'utf8')).toBe(dashboardText());
  });

  it('takes its datasource from a template variable and names every panel uniquely', () => {
    const dashboard = JSON.parse(dashboardText());
    expect(dashboard.templating.list[0]).toMatchObject({ name: 'datasource', type: 'datasource' });
    const titles = panels.map((p) => p.title);
    expect(new Set(titles).size).toBe(titles.length);
    for (const panel of dashboard.panels) {
      expect(panel.datasource.uid).toBe(DATASOURCE_VARIABLE);
      expect(panel.targets.length).toBeGreaterThan(0);
    }
  });
});
