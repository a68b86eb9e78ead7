import { escapeXml } from '../../platform/web/svg.ts';

/**
 * Server-rendered SVG charts. Each is an image with a text alternative (title and description); the page
 * always puts the same numbers in a table beneath, so nothing depends on seeing the chart.
 */

/**
 * Colours for national deciles, decile 1 (most deprived) darkest: the viridis scale, which stays in order
 * for people with common colour-vision deficiencies and in greyscale print. Shared by charts, the map legend
 * and the tiles' paint so a decile looks the same everywhere.
 */
export const decileColours = ['#440154', '#482878', '#3e4989', '#31688e', '#26828e', '#1f9e89', '#35b779', '#6ece58', '#b5de2b', '#fde725'] as const;

export type DecileChart = { id: string; title: string; counts: number[]; comparison?: { label: string; shares: number[] } };

/** Bars of the share of an area's LSOAs in each national decile, with England's 10% marked. */
export function decileChartSvg(chart: DecileChart): string {
  const total = chart.counts.reduce((a, b) => a + b, 0);
  const shares = chart.counts.map((n) => (total ? n / total : 0));
  const width = 640;
  const height = 260;
  const left = 48;
  const bottom = 40;
  const top = 16;
  const plotHeight = height - top - bottom;
  const plotWidth = width - left - 16;
  const maxShare = Math.max(0.2, ...shares, ...(chart.comparison?.shares ?? [])) * 1.1;
  const y = (share: number) => top + plotHeight - (share / maxShare) * plotHeight;
  const band = plotWidth / 10;
  const gridlines = [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1].filter((g) => g <= maxShare);
  const percent = (v: number) => `${Math.round(v * 100)}%`;
  const description =
    total === 0
      ? 'No LSOAs.'
      : `${chart.counts.map((n, i) => `decile ${i + 1}: ${n} (${percent(shares[i]!)})`).join('; ')}.` +
        (chart.comparison ? ` ${chart.comparison.label}: ${chart.comparison.shares.map((s, i) => `decile ${i + 1} ${percent(s)}`).join('; ')}.` : '') +
        ' England has 10% in each decile.';
  const parts: string[] = [];
  parts.push(
    `<svg class="pw-chart" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${chart.id}-title ${chart.id}-desc" xmlns="http://www.w3.org/2000/svg">`,
    `<title id="${chart.id}-title">${escapeXml(chart.title)}</title>`,
    `<desc id="${chart.id}-desc">${escapeXml(description)}</desc>`,
  );
  for (const g of gridlines) {
    parts.push(`<line x1="${left}" x2="${width - 16}" y1="${y(g).toFixed(1)}" y2="${y(g).toFixed(1)}" class="pw-chart__grid"/>`);
    parts.push(`<text x="${left - 6}" y="${(y(g) + 4).toFixed(1)}" text-anchor="end" class="pw-chart__label">${percent(g)}</text>`);
  }
  shares.forEach((share, i) => {
    const x = left + i * band + band * 0.15;
    const w = chart.comparison ? band * 0.4 : band * 0.7;
    parts.push(`<rect x="${x.toFixed(1)}" y="${y(share).toFixed(1)}" width="${w.toFixed(1)}" height="${(top + plotHeight - y(share)).toFixed(1)}" fill="${decileColours[i]}" stroke="#0b0c0c" stroke-width="0.5"/>`);
    const compare = chart.comparison?.shares[i];
    if (compare !== undefined) {
      parts.push(`<rect x="${(x + w).toFixed(1)}" y="${y(compare).toFixed(1)}" width="${w.toFixed(1)}" height="${(top + plotHeight - y(compare)).toFixed(1)}" fill="#ffffff" stroke="#0b0c0c" stroke-width="1" class="pw-chart__comparison"/>`);
    }
    parts.push(`<text x="${(left + i * band + band / 2).toFixed(1)}" y="${height - bottom + 18}" text-anchor="middle" class="pw-chart__label">${i + 1}</text>`);
  });
  parts.push(`<line x1="${left}" x2="${width - 16}" y1="${y(0.1).toFixed(1)}" y2="${y(0.1).toFixed(1)}" class="pw-chart__england"/>`);
  parts.push(`<text x="${width - 18}" y="${(y(0.1) - 5).toFixed(1)}" text-anchor="end" class="pw-chart__label">England 10%</text>`);
  parts.push(`<text x="${left + plotWidth / 2}" y="${height - 4}" text-anchor="middle" class="pw-chart__label">National decile (1 = most deprived 10%)</text>`);
  parts.push('</svg>');
  return parts.join('');
}
