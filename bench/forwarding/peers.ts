/**
 * Same-run comparison of the media node's paths with its peers (janus/, floor/): delivered
 * packets per CPU-second of the server at the highest lossless step of each path, and the
 * ratios project/Janus and project/floor. Delivered, not forwarded: Janus has no forwarding
 * counter outside its admin API, and the floor counts at its sink, so every path is measured at
 * its receivers (what they decrypted, or for the floor received) over the server's CPU-seconds.
 * Pure (unit-tested in peers.test.ts).
 */
import { type Chart, lineChart } from '../lib/svg-plot.ts';
import type { StepRow } from './run-mode.ts';

/** Paths that are not the media node. */
export const PEERS = ['janus', 'floor'] as const;
const HEALTHY_LOSS_PCT = 1;

export function deliveredPerCpuS(r: StepRow): number {
  return r.nodeCpu > 0 ? r.deliveredPps / r.nodeCpu : Number.NaN;
}

/**
 * A step counts when its receivers lost < 1 %, all were ready, and the publishers sent at least
 * `minSentPps` (on a loaded machine the harness's timers can fall so far behind that a "lossless"
 * step carried almost nothing).
 */
const counts = (minSentPps: number) => (r: StepRow) =>
  r.lossPct < HEALTHY_LOSS_PCT && r.notReady === 0 && !(r.sentPps < minSentPps);

/** The highest step of `rows` that counts (see `counts`). */
export function highestLossless(rows: readonly StepRow[], minSentPps = 0): StepRow | undefined {
  const ok = rows.filter(counts(minSentPps));
  return ok.reduce<StepRow | undefined>(
    (a, r) => (!a || r.subscribers > a.subscribers ? r : a),
    undefined,
  );
}

export interface PeerRatio {
  path: string;
  /** Highest lossless step (subscribers offered) and delivered packets per CPU-second there. */
  step: number;
  deliveredPerCpuS: number;
  janusStep: number;
  janusPerCpuS: number;
  floorStep: number;
  floorPerCpuS: number;
  vsJanus: number;
  vsFloor: number;
  /**
   * The highest step lossless on both this path and Janus, and the ratio there: per-packet costs
   * fall with fan-out, so the ratio at each one's own highest step also rewards the larger step.
   */
  commonJanusStep: number;
  vsJanusAtCommonStep: number;
}

/**
 * One row per media node path of `rows` (one run): its figure against Janus's and the floor's,
 * counting only steps whose publishers sent at least `minSentPps` (half the nominal rate, say).
 */
export function peerRatios(rows: readonly StepRow[], minSentPps = 0): PeerRatio[] {
  const lossless = counts(minSentPps);
  const byPath = new Map<string, StepRow[]>();
  for (const r of rows) byPath.set(r.path, [...(byPath.get(r.path) ?? []), r]);
  const at = (path: string) => {
    const best = highestLossless(byPath.get(path) ?? [], minSentPps);
    return { step: best?.subscribers ?? 0, perCpuS: best ? deliveredPerCpuS(best) : Number.NaN };
  };
  const janus = at('janus');
  const floor = at('floor');
  const janusOk = (byPath.get('janus') ?? []).filter(lossless);
  return [...byPath.keys()]
    .filter((p) => !(PEERS as readonly string[]).includes(p))
    .map((path) => {
      const own = at(path);
      const common = highestLossless(
        (byPath.get(path) ?? []).filter(
          (r) => lossless(r) && janusOk.some((j) => j.subscribers === r.subscribers),
        ),
      );
      const janusThere = janusOk.find((j) => j.subscribers === common?.subscribers);
      return {
        path,
        step: own.step,
        deliveredPerCpuS: own.perCpuS,
        janusStep: janus.step,
        janusPerCpuS: janus.perCpuS,
        floorStep: floor.step,
        floorPerCpuS: floor.perCpuS,
        vsJanus: own.perCpuS / janus.perCpuS,
        vsFloor: own.perCpuS / floor.perCpuS,
        commonJanusStep: common?.subscribers ?? 0,
        vsJanusAtCommonStep:
          common && janusThere
            ? deliveredPerCpuS(common) / deliveredPerCpuS(janusThere)
            : Number.NaN,
      };
    });
}

/** The two figures: delivered packets per CPU-second, and loss, against subscribers offered. */
export function peerCharts(rows: readonly StepRow[], note: string): Record<string, string> {
  const paths = [...new Set(rows.map((r) => r.path))];
  const series = (y: (r: StepRow) => number) =>
    paths.map((name) => ({
      name,
      points: rows
        .filter((r) => r.path === name)
        .map((r): [number, number] => [r.subscribers, y(r)]),
    }));
  const chart = (c: Omit<Chart, 'note' | 'xLabel'>) =>
    lineChart({ ...c, note, xLabel: 'subscribers (4 publishers x 100 pkt/s each)' });
  return {
    'forwarding-pkt-per-cpu.svg': chart({
      title: 'Delivered packets per CPU-second of the server',
      yLabel: 'packets / CPU-second (log scale)',
      yLog: true,
      series: series(deliveredPerCpuS),
    }),
    'forwarding-loss.svg': chart({
      title: 'Loss at the receivers',
      yLabel: 'loss %',
      series: series((r) => r.lossPct),
    }),
  };
}
