/**
 * Minimal SVG line charts for benchmark figures (no plotting dependency): a few series of
 * (x, y) points on linear axes with ticks, a legend and an optional note line. Pure (unit-tested).
 */

export interface Series {
  name: string;
  points: Array<[number, number]>;
}

export interface Chart {
  title: string;
  note?: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Force the y axis to start at 0 (default true; ignored with `yLog`). */
  yFromZero?: boolean;
  /** Logarithmic y axis (series spanning orders of magnitude); points <= 0 are left out. */
  yLog?: boolean;
}

const W = 720;
const H = 420;
const M = { left: 80, right: 170, top: 48, bottom: 56 };
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#17becf'];

/** "Nice" tick values covering [lo, hi]: steps of 1, 2 or 5 x 10^k, about `count` of them. */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const pow = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? 10 * pow;
  const ticks: number[] = [];
  const first = Math.floor(lo / step + 1e-9);
  const last = Math.ceil(hi / step - 1e-9);
  for (let k = first; k <= last; k++) ticks.push(Number((k * step).toPrecision(12)));
  return ticks;
}

/** Log-axis ticks: 1, 2 and 5 x 10^k from below `lo` to above `hi` (both > 0). */
export function logTicks(lo: number, hi: number): number[] {
  const ticks: number[] = [];
  for (let k = Math.floor(Math.log10(lo)); k <= Math.ceil(Math.log10(hi)); k++) {
    for (const m of [1, 2, 5]) ticks.push(Number((m * 10 ** k).toPrecision(12)));
  }
  const first = ticks.findLastIndex((t) => t <= lo);
  const last = ticks.findIndex((t) => t >= hi);
  return ticks.slice(Math.max(0, first), last < 0 ? undefined : last + 1);
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const fmt = (v: number) =>
  Math.abs(v) >= 1_000
    ? `${Number((v / 1_000).toPrecision(3))}k`
    : String(Number(v.toPrecision(3)));

export function lineChart(c: Chart): string {
  const valid = ([x, y]: [number, number]) =>
    Number.isFinite(x) && Number.isFinite(y) && (!c.yLog || y > 0);
  const pts = c.series.flatMap((s) => s.points).filter(valid);
  const xs = pts.map(([x]) => x);
  const ys = pts.map(([, y]) => y);
  const xTicks = niceTicks(Math.min(0, ...xs), Math.max(1, ...xs));
  const yTicks = !ys.length
    ? [0, 1]
    : c.yLog
      ? logTicks(Math.min(...ys), Math.max(...ys))
      : niceTicks(c.yFromZero === false ? Math.min(...ys) : 0, Math.max(1, ...ys));
  const ty = (y: number) => (c.yLog ? Math.log10(y) : y);
  const x0 = xTicks[0] as number;
  const x1 = xTicks[xTicks.length - 1] as number;
  const y0 = ty(yTicks[0] as number);
  const y1 = ty(yTicks[yTicks.length - 1] as number);
  const px = (x: number) => M.left + ((x - x0) / (x1 - x0 || 1)) * (W - M.left - M.right);
  const py = (y: number) => H - M.bottom - ((ty(y) - y0) / (y1 - y0 || 1)) * (H - M.top - M.bottom);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<title>${esc(c.title)}</title>`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="15">${esc(c.title)}</text>`,
  ];
  if (c.note) {
    out.push(`<text x="${W / 2}" y="37" text-anchor="middle" fill="#555">${esc(c.note)}</text>`);
  }
  for (const t of yTicks) {
    out.push(
      `<line x1="${M.left}" x2="${W - M.right}" y1="${py(t)}" y2="${py(t)}" stroke="#ddd"/>`,
      `<text x="${M.left - 6}" y="${py(t) + 4}" text-anchor="end">${fmt(t)}</text>`,
    );
  }
  for (const t of xTicks) {
    out.push(
      `<line x1="${px(t)}" x2="${px(t)}" y1="${H - M.bottom}" y2="${H - M.bottom + 4}" stroke="#333"/>`,
      `<text x="${px(t)}" y="${H - M.bottom + 18}" text-anchor="middle">${fmt(t)}</text>`,
    );
  }
  out.push(
    `<line x1="${M.left}" x2="${W - M.right}" y1="${H - M.bottom}" y2="${H - M.bottom}" stroke="#333"/>`,
    `<line x1="${M.left}" x2="${M.left}" y1="${M.top}" y2="${H - M.bottom}" stroke="#333"/>`,
    `<text x="${(M.left + W - M.right) / 2}" y="${H - 14}" text-anchor="middle">${esc(c.xLabel)}</text>`,
    `<text transform="translate(18 ${(M.top + H - M.bottom) / 2}) rotate(-90)" text-anchor="middle">${esc(c.yLabel)}</text>`,
  );
  c.series.forEach((s, i) => {
    const color = COLORS[i % COLORS.length] as string;
    const ok = s.points.filter(valid);
    if (ok.length > 0) {
      const d = ok.map(([x, y], j) => `${j ? 'L' : 'M'}${px(x).toFixed(1)} ${py(y).toFixed(1)}`);
      out.push(`<path d="${d.join(' ')}" fill="none" stroke="${color}" stroke-width="2"/>`);
      for (const [x, y] of ok) {
        out.push(
          `<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="3" fill="${color}"/>`,
        );
      }
    }
    const ly = M.top + 10 + i * 20;
    out.push(
      `<line x1="${W - M.right + 14}" x2="${W - M.right + 38}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"/>`,
      `<text x="${W - M.right + 44}" y="${ly + 4}">${esc(s.name)}</text>`,
    );
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
