import { longDate } from '../../platform/web/dates.ts';
import { escapeXml } from '../../platform/web/svg.ts';
import { formatValue, monthYear } from './outcomes.ts';

/**
 * A measure's values over time as a server-rendered SVG line, with the baseline drawn across the chart and the
 * target marked where and when it should be reached (joined to the baseline by a dotted line, the straight path
 * "on track" is judged against). It is an image with a title and a description giving every figure; pages put
 * the same figures in a table beside it, so nothing depends on seeing the chart.
 */

export type ProgressChart = {
  /** Unique on the page: the title and description are referenced by id. */
  id: string;
  title: string;
  unit: string;
  points: { measuredOn: string; value: number }[];
  baseline?: { value: number; on: string } | null;
  target?: { value: number; on: string } | null;
};

const day = 86_400_000;

/** A round step (1, 2 or 5 times a power of ten) giving about `count` gridlines over `span`. */
function niceStep(span: number, count = 4): number {
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const multiple = [1, 2, 5, 10].find((m) => m * power >= raw) ?? 10;
  return multiple * power;
}

export function progressChartSvg(chart: ProgressChart): string {
  const width = 640;
  const height = 280;
  const left = 64;
  const right = 96;
  const top = 28;
  const bottom = 44;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const points = [...chart.points].sort((a, b) => a.measuredOn.localeCompare(b.measuredOn));
  const { baseline, target } = chart;

  const dates = [...points.map((p) => p.measuredOn), ...(baseline ? [baseline.on] : []), ...(target ? [target.on] : [])].map((d) => Date.parse(`${d}T00:00:00Z`));
  const values = [...points.map((p) => p.value), ...(baseline ? [baseline.value] : []), ...(target ? [target.value] : [])];
  let x0 = dates.length ? Math.min(...dates) : Date.now();
  let x1 = dates.length ? Math.max(...dates) : Date.now();
  if (x1 - x0 < 30 * day) [x0, x1] = [x0 - 30 * day, x1 + 30 * day];
  const lowest = values.length ? Math.min(...values) : 0;
  const highest = values.length ? Math.max(...values) : 1;
  // Counts and percentages read honestly from zero; only a scale that goes negative starts below it.
  let y0 = Math.min(0, lowest);
  const step = niceStep(Math.max(highest - y0, Math.abs(highest) * 0.1, 1e-6));
  y0 = Math.floor(y0 / step) * step;
  const y1 = Math.max(Math.ceil((highest * 1.05) / step) * step, y0 + step);
  const x = (iso: string) => left + ((Date.parse(`${iso}T00:00:00Z`) - x0) / (x1 - x0)) * plotWidth;
  const y = (v: number) => top + plotHeight - ((v - y0) / (y1 - y0)) * plotHeight;
  const f = (n: number) => n.toFixed(1);
  const show = (v: number) => formatValue(v, chart.unit);

  const described = [
    points.length ? `Values over time: ${points.map((p) => `${longDate(p.measuredOn)}, ${show(p.value)}`).join('; ')}.` : 'No values measured yet.',
    baseline ? `Baseline ${show(baseline.value)} in ${monthYear(baseline.on)}.` : '',
    target ? `Target ${show(target.value)} by ${monthYear(target.on)}.` : '',
  ]
    .filter(Boolean)
    .join(' ');

  const parts: string[] = [
    `<svg class="pw-chart pw-progress-chart" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${escapeXml(chart.id)}-title ${escapeXml(chart.id)}-desc" xmlns="http://www.w3.org/2000/svg">`,
    `<title id="${escapeXml(chart.id)}-title">${escapeXml(chart.title)}</title>`,
    `<desc id="${escapeXml(chart.id)}-desc">${escapeXml(described)}</desc>`,
  ];
  for (let g = y0; g <= y1 + step / 1000; g += step) {
    const at = f(y(g));
    parts.push(`<line x1="${left}" x2="${left + plotWidth}" y1="${at}" y2="${at}" class="pw-chart__grid"/>`);
    parts.push(`<text x="${left - 6}" y="${f(y(g) + 4)}" text-anchor="end" class="pw-chart__label">${escapeXml(Number(g.toPrecision(12)).toLocaleString('en-GB', { maximumFractionDigits: 2 }))}</text>`);
  }
  parts.push(`<text x="${left}" y="${top - 12}" class="pw-chart__label">${escapeXml(chart.unit)}</text>`);
  const firstOn = new Date(x0).toISOString().slice(0, 10);
  const lastOn = new Date(x1).toISOString().slice(0, 10);
  parts.push(`<text x="${left}" y="${height - bottom + 20}" text-anchor="start" class="pw-chart__label">${escapeXml(monthYear(firstOn))}</text>`);
  parts.push(`<text x="${left + plotWidth}" y="${height - bottom + 20}" text-anchor="end" class="pw-chart__label">${escapeXml(monthYear(lastOn))}</text>`);

  if (baseline) {
    const by = f(y(baseline.value));
    parts.push(`<line x1="${left}" x2="${left + plotWidth}" y1="${by}" y2="${by}" stroke="#505a5f" stroke-width="1.5" stroke-dasharray="6 4" class="pw-progress-chart__baseline"/>`);
    parts.push(`<text x="${left + plotWidth + 6}" y="${f(y(baseline.value) + 4)}" class="pw-chart__label">Baseline</text>`);
    parts.push(`<rect x="${f(x(baseline.on) - 5)}" y="${f(y(baseline.value) - 5)}" width="10" height="10" fill="#505a5f"/>`);
  }
  if (target) {
    const tx = x(target.on);
    const ty = y(target.value);
    if (baseline) parts.push(`<line x1="${f(x(baseline.on))}" y1="${f(y(baseline.value))}" x2="${f(tx)}" y2="${f(ty)}" stroke="#00703c" stroke-width="1.5" stroke-dasharray="2 4" class="pw-progress-chart__path"/>`);
    parts.push(`<path d="M ${f(tx)} ${f(ty - 8)} L ${f(tx + 8)} ${f(ty)} L ${f(tx)} ${f(ty + 8)} L ${f(tx - 8)} ${f(ty)} Z" fill="#ffffff" stroke="#00703c" stroke-width="2.5" class="pw-progress-chart__target"/>`);
    parts.push(`<text x="${f(Math.min(tx + 12, width - 4))}" y="${f(ty - 10)}" text-anchor="${tx + 12 > left + plotWidth ? 'end' : 'start'}" class="pw-chart__label">Target ${escapeXml(show(target.value))}</text>`);
  }
  if (points.length > 1) parts.push(`<polyline points="${points.map((p) => `${f(x(p.measuredOn))},${f(y(p.value))}`).join(' ')}" fill="none" stroke="#1d70b8" stroke-width="3" class="pw-progress-chart__line"/>`);
  for (const p of points) parts.push(`<circle cx="${f(x(p.measuredOn))}" cy="${f(y(p.value))}" r="5" fill="#1d70b8" stroke="#ffffff" stroke-width="1.5" class="pw-progress-chart__point" data-date="${escapeXml(p.measuredOn)}" data-value="${p.value}"/>`);
  if (!points.length) parts.push(`<text x="${left + plotWidth / 2}" y="${top + plotHeight / 2}" text-anchor="middle" class="pw-chart__label">No values measured yet</text>`);
  parts.push('</svg>');
  return parts.join('');
}
