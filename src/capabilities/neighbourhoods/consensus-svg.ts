import type { Consensus } from './resident-mapping.ts';
import { escapeXml } from '../../platform/web/svg.ts';

/** Shares of answers, as bands of the heat map: the legend and the cells use the same list. */
export const consensusBands = [
  { from: 0, to: 0.2, label: 'fewer than 20%', colour: '#dbe9f6' },
  { from: 0.2, to: 0.4, label: '20% to 39%', colour: '#9ec5e8' },
  { from: 0.4, to: 0.6, label: '40% to 59%', colour: '#5b9bd5' },
  { from: 0.6, to: 0.8, label: '60% to 79%', colour: '#2b6cb0' },
  { from: 0.8, to: 1.01, label: '80% or more', colour: '#0b3d91' },
] as const;


/**
 * The heat map of answers as a static SVG, drawn in British National Grid metres (north up), so it needs no
 * script or map service: each grid cell shaded by the share of answers covering it, the agreed outline on
 * top, and the LSOA boundaries for context. The page gives the same figures as a table.
 */
export function consensusSvg(result: Extract<Consensus, { suppressed: false }>, title: string): string {
  const { x0, y0, x1, y1 } = result.extent;
  const cell = result.cellMetres;
  const width = x1 - x0;
  const height = y1 - y0;
  const rects = result.cells
    .map((c) => {
      const share = c.count / result.responses;
      const band = consensusBands.find((b) => share >= b.from && share < b.to) ?? consensusBands[4];
      return `<rect x="${c.x}" y="${-(c.y + cell)}" width="${cell}" height="${cell}" fill="${band.colour}"/>`;
    })
    .join('');
  const context = result.context.map((d) => `<path d="${d}"/>`).join('');
  const outline = result.outline ? `<path d="${result.outline.svgPath}" fill="none" stroke="#0b0c0c" stroke-width="3" vector-effect="non-scaling-stroke"/>` : '';
  const description = result.outline
    ? `Shaded squares of ${cell} metres show the share of answers covering each place; the black line encloses the ${result.outline.areaSqKm.toFixed(2)} km² where at least ${result.needed} of the ${result.responses} answers agree.`
    : `Shaded squares of ${cell} metres show the share of answers covering each place; no place is covered by ${result.needed} of the ${result.responses} answers.`;
  return (
    `<svg class="pw-consensus" role="img" aria-labelledby="consensus-title consensus-desc" viewBox="${x0} ${-y1} ${width} ${height}" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">` +
    `<title id="consensus-title">${escapeXml(title)}</title><desc id="consensus-desc">${escapeXml(description)}</desc>` +
    `<rect x="${x0}" y="${-y1}" width="${width}" height="${height}" fill="#ffffff"/>` +
    `<g>${rects}</g>` +
    `<g fill="none" stroke="#6f777b" stroke-width="0.75" vector-effect="non-scaling-stroke">${context.replaceAll('<path ', '<path vector-effect="non-scaling-stroke" ')}</g>` +
    outline +
    `</svg>`
  );
}
