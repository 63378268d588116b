/**
 * Issue 5: a real Prometheus, configured from ops/prometheus, scrapes the running stack (edge +
 * two media nodes) while werift clients hold sessions with media flowing; then every query of
 * the Grafana dashboard and the signal of every alert run through Prometheus' HTTP API and must
 * parse and return data, every rule must evaluate cleanly, and the session gauge must match.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { panels } from '../ops/grafana/panels.ts';
import { ROOT } from '../scripts/stack/stack.ts';
import {
  type PrometheusServer,
  type QuerySample,
  startPrometheus,
} from './support/prometheus-server.ts';
import { startTestStack, type TestStack } from './support/stack.ts';
import { joinWerift, type WeriftParticipant } from './support/werift-participant.ts';

let stack: TestStack | undefined;
let prometheus: PrometheusServer | undefined;
const clients: WeriftParticipant[] = [];
/** Two in a room (SFU forwarding both ways) and one echo session. */
const HELD_SESSIONS = 3;
const FRAMES = 10;

/** Polls `fn` until it returns true; throws with `what` after `timeoutMs`. */
async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      if (await fn()) return;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what} not within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
}

const sampleNumber = (s: QuerySample) => Number(s.value[1]);
const prom = () => {
  if (!prometheus) throw new Error('prometheus not started');
  return prometheus;
};

beforeAll(async () => {
  stack = await startTestStack();
  prometheus = await startPrometheus({
    edge: new URL(stack.edgeUrl).host,
    nodes: stack.nodes.map((n) => new URL(n.url).host),
    edgeToken: await stack.token({ device: 'prometheus', admin: true }),
    interval: '1s',
  });
  // Scraped before the sessions exist, so counters are seen rising from their start.
  const targets = 1 + stack.nodes.length;
  await until(`${targets} targets up`, async () => {
    const up = await prom().query('up');
    return up.length === targets && up.every((s) => sampleNumber(s) === 1);
  });
  const room = 'prom-room';
  for (const name of ['test-alice', 'test-bob']) {
    clients.push(await joinWerift({ api: await stack.api(name), room, name, test: 'prometheus' }));
  }
  clients.push(
    await joinWerift({
      api: await stack.api('test-echo'),
      room: 'prom-echo',
      name: 'test-echo',
      echo: true,
      test: 'prometheus',
    }),
  );
  const [alice, bob, echo] = clients as [WeriftParticipant, WeriftParticipant, WeriftParticipant];
  await Promise.all([
    alice.until('frames from bob', () => alice.framesFrom(bob.sessionId()) >= FRAMES),
    bob.until('frames from alice', () => bob.framesFrom(alice.sessionId()) >= FRAMES),
    echo.until('own frames back', () => echo.framesFrom(echo.sessionId()) >= FRAMES),
  ]);
  // Enough scrapes with the sessions up for rates, quantiles and deriv() to have two points.
  await until('Prometheus to see the sessions', async () => {
    const [s] = await prom().query('sum(media_active_sessions)');
    return s !== undefined && sampleNumber(s) === HELD_SESSIONS;
  });
  await new Promise((r) => setTimeout(r, 5_000));
}, 120_000);

afterAll(async () => {
  await Promise.allSettled(clients.map((c) => c.leave()));
  await prometheus?.stop();
  await stack?.teardown();
}, 90_000);

describe('Prometheus against the live stack', () => {
  it('counts exactly the sessions the test holds open', async () => {
    const [sessions] = await prom().query('sum(media_active_sessions)');
    expect(sessions && sampleNumber(sessions)).toBe(HELD_SESSIONS);
    const [edge] = await prom().query('sum(media_edge_sessions_active)');
    expect(edge && sampleNumber(edge)).toBe(HELD_SESSIONS);
    // Live traffic, not just declared series: media flows, the room of two tops the rank list.
    const [top] = await prom().query('max(media_room_top_participants{rank="1"})');
    expect(top && sampleNumber(top)).toBe(2);
    const [rtp] = await prom().query('sum(rate(media_rtp_packets_total{direction="out"}[1m]))');
    expect(rtp && sampleNumber(rtp)).toBeGreaterThan(10);
    const [connected] = await prom().query('sum(media_ice_connections_total{result="connected"})');
    expect(connected && sampleNumber(connected)).toBeGreaterThanOrEqual(HELD_SESSIONS);
    const [setups] = await prom().query('sum(media_session_setup_seconds_count)');
    expect(setups && sampleNumber(setups)).toBeGreaterThanOrEqual(HELD_SESSIONS);
  });

  it('answers every dashboard query with data', async () => {
    const report: Array<{ panel: string; legend: string; expr: string; values: string[] }> = [];
    const empty: string[] = [];
    for (const panel of panels) {
      for (const q of panel.queries) {
        const result = await prom().query(q.expr);
        const values = result.map(
          (s) => `${JSON.stringify(s.metric)}=${Number(s.value[1]).toPrecision(4)}`,
        );
        report.push({ panel: panel.title, legend: q.legend, expr: q.expr, values });
        // NaN everywhere (a quantile of nothing) draws as an empty panel too.
        if (!result.some((s) => Number.isFinite(sampleNumber(s))))
          empty.push(`${panel.title}: ${q.expr}`);
      }
    }
    const dir = join(ROOT, 'test-artifacts');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'prometheus-panels.json'), `${JSON.stringify(report, null, 2)}\n`);
    for (const r of report) console.log(`${r.panel} [${r.legend}]: ${r.values.join(' ') || '-'}`);
    expect(empty).toEqual([]);
  });

  it('answers the signal of every alert with data, and every rule evaluates cleanly', async () => {
    const committed = await readFile(join(ROOT, 'ops/prometheus/alerts.yml'), 'utf8');
    const alertCount = committed.match(/^\s*- alert: /gm)?.length ?? 0;
    let rules = await prom().rules();
    await until('every rule evaluated', async () => {
      rules = await prom().rules();
      return rules.every((r) => r.health !== 'unknown');
    });
    expect(rules).toHaveLength(alertCount);
    expect(rules.filter((r) => r.health !== 'ok')).toEqual([]);
    const noData: string[] = [];
    for (const rule of rules) {
      // Every expression is `(signal) <op> threshold` (see alerts.yml), so the signal graphs.
      const m = /^\((.*)\)\s*(?:[<>]=?|[!=]=)\s*[-+\d.e]+$/s.exec(rule.query);
      expect(m, `${rule.name}: ${rule.query}`).not.toBeNull();
      const signal = m?.[1] ?? '';
      const result = await prom().query(signal);
      console.log(`${rule.name}: ${result.map((s) => s.value[1]).join(' ')}`);
      if (!result.some((s) => Number.isFinite(sampleNumber(s))))
        noData.push(`${rule.name}: ${signal}`);
    }
    expect(noData).toEqual([]);
  });
});
