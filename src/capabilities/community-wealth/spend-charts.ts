import { escapeXml } from '../../platform/web/svg.ts';
import type { PeriodRow } from './local-spend.ts';
import { percent } from './web.ts';

/**
 * The local share of spend by financial year as server-drawn bars: an image with a title and a description giving
 * every figure. Pages put the same figures in a table beside it, so nothing depends on seeing the chart.
 */
export function localShareChartSvg(chart: { id: string; title: string; place: string; years: readonly PeriodRow[] }): string {
  const width = 640;
  const height = 260;
  const left = 56;
  const right = 16;
  const top = 20;
  const bottom = 44;
  const plotWidth = width - left - right;
  const plotHeight = height - top - bottom;
  const id = escapeXml(chart.id);
  // Shares run from 0 to 100%; a credit-heavy year can go below 0 or above 100%, so the scale stretches to fit.
  const shares = chart.years.map((y) => y.share ?? 0);
  const low = Math.min(0, Math.floor(Math.min(0, ...shares) * 10) / 10);
  const high = Math.max(1, Math.ceil(Math.max(0, ...shares) * 10) / 10);
  const y = (share: number) => top + plotHeight - ((share - low) / (high - low)) * plotHeight;
  const f = (n: number) => n.toFixed(1);
  const described = chart.years.length
    ? `Share of each year's spend with suppliers in ${chart.place}: ${chart.years.map((r) => `${r.period}, ${percent(r.share)}`).join('; ')}.`
    : 'No spend in these years.';
  const parts = [
    `<svg class="pw-chart" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${id}-title ${id}-desc" xmlns="http://www.w3.org/2000/svg">`,
    `<title id="${id}-title">${escapeXml(chart.title)}</title>`,
    `<desc id="${id}-desc">${escapeXml(described)}</desc>`,
  ];
  for (let g = low; g <= high + 1e-9; g += 0.2) {
    const at = f(y(g));
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${at}" y2="${at}" class="pw-chart__grid"/>`);
    parts.push(`<text x="${left - 6}" y="${f(y(g) + 4)}" text-anchor="end" class="pw-chart__label">${Math.round(g * 100)}%</text>`);
  }
  const band = plotWidth / Math.max(chart.years.length, 1);
  const barWidth = Math.min(band * 0.6, 96);
  chart.years.forEach((r, i) => {
    const share = r.share ?? 0;
    const x = left + i * band + (band - barWidth) / 2;
    const [y0, y1] = [y(Math.max(share, 0)), y(Math.min(share, 0))];
    parts.push(`<rect x="${f(x)}" y="${f(y0)}" width="${f(barWidth)}" height="${f(Math.max(y1 - y0, 0))}" fill="#1d70b8"/>`);
    parts.push(`<text x="${f(x + barWidth / 2)}" y="${f(y0 - 5)}" text-anchor="middle" class="pw-chart__label">${escapeXml(percent(r.share))}</text>`);
    parts.push(`<text x="${f(left + i * band + band / 2)}" y="${height - bottom + 18}" text-anchor="middle" class="pw-chart__label">${escapeXml(r.period)}</text>`);
  });
  parts.push(`<text x="${f(left + plotWidth / 2)}" y="${height - 4}" text-anchor="middle" class="pw-chart__label">Financial year (April to March)</text>`);
  parts.push('</svg>');
  return parts.join('');
}
