/**
 * The Place Standard compass: a radar chart drawn on the server as SVG (no JavaScript), one spoke per theme in
 * the tool's order starting at the top and going clockwise, 1 at the centre and 7 at the edge. Each series is a
 * closed shape; a hidden (suppressed) value leaves a gap in its outline rather than a guessed point. Series
 * differ by colour, by dash pattern and by marker shape, so colour is never the only way to tell them apart.
 * The chart is always shown with a table of the same figures (views/place-standard-compass.njk).
 *
 * Every piece of text put into the SVG goes through escapeXml: the result is rendered with `| safe`.
 */
import { escapeXml } from '../../platform/web/svg.ts';

export type CompassSeries = { label: string; values: (number | null)[] };

export type CompassInput = { id: string; title: string; labels: string[]; series: CompassSeries[]; min?: number; max?: number };


/** GOV.UK colours with at least 3:1 contrast on white (blue, red, green, purple). */
export const seriesStyles = [
  { colour: '#1d70b8', dash: '', marker: 'circle', dashWords: 'solid line, circles' },
  { colour: '#d4351c', dash: '8 4', marker: 'square', dashWords: 'dashed line, squares' },
  { colour: '#00703c', dash: '2 3', marker: 'triangle', dashWords: 'dotted line, triangles' },
  { colour: '#4c2c92', dash: '10 3 2 3', marker: 'diamond', dashWords: 'dash-dot line, diamonds' },
] as const;

export const geometry = { width: 720, cx: 360, cy: 290, radius: 180 };

const fmt = (x: number) => (Math.abs(x) < 0.005 ? '0' : x.toFixed(2).replace(/\.?0+$/, ''));

/** Where value v on spoke i of n lies: spoke 0 points straight up, the rest follow clockwise. */
export function pointOn(i: number, n: number, v: number, min = 1, max = 7): { x: number; y: number } {
  const angle = -Math.PI / 2 + (2 * Math.PI * i) / n;
  const r = (geometry.radius * (Math.min(Math.max(v, min), max) - min)) / (max - min);
  return { x: geometry.cx + r * Math.cos(angle), y: geometry.cy + r * Math.sin(angle) };
}

/** Splits a label into lines of about `width` characters at spaces. */
function wrap(label: string, width = 16): string[] {
  const lines: string[] = [];
  for (const word of label.split(/\s+/)) {
    const last = lines.at(-1);
    if (last !== undefined && (last + ' ' + word).length <= width) lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(word);
  }
  return lines;
}

function marker(kind: string, x: number, y: number, colour: string): string {
  const p = (a: number, b: number) => `${fmt(a)},${fmt(b)}`;
  if (kind === 'circle') return `<circle cx="${fmt(x)}" cy="${fmt(y)}" r="4" fill="${colour}"/>`;
  if (kind === 'square') return `<rect x="${fmt(x - 4)}" y="${fmt(y - 4)}" width="8" height="8" fill="${colour}"/>`;
  if (kind === 'triangle') return `<polygon points="${p(x, y - 5)} ${p(x + 5, y + 4)} ${p(x - 5, y + 4)}" fill="${colour}"/>`;
  return `<polygon points="${p(x, y - 5)} ${p(x + 5, y)} ${p(x, y + 5)} ${p(x - 5, y)}" fill="${colour}"/>`;
}

/** The words of the chart's description: what it shows and, per series, its lowest and highest themes. */
export function describe(input: CompassInput): string {
  const { labels, min = 1, max = 7 } = input;
  const parts = [`A compass (radar) chart of ${labels.length} themes, each rated from ${min} at the centre to ${max} at the edge.`];
  for (const s of input.series) {
    const shown = s.values.map((v, i) => ({ v, label: labels[i]! })).filter((x): x is { v: number; label: string } => x.v !== null);
    const hidden = s.values.length - shown.length;
    if (!shown.length) {
      parts.push(`${s.label}: every theme hidden (too few ratings).`);
      continue;
    }
    const low = shown.reduce((a, b) => (b.v < a.v ? b : a));
    const high = shown.reduce((a, b) => (b.v > a.v ? b : a));
    parts.push(`${s.label}: lowest ${low.label} (${low.v.toFixed(1)}), highest ${high.label} (${high.v.toFixed(1)})${hidden ? `; ${hidden} theme${hidden === 1 ? '' : 's'} hidden (too few ratings)` : ''}.`);
  }
  parts.push('The table that follows gives every figure.');
  return parts.join(' ');
}

export function compassSvg(input: CompassInput): string {
  const { labels, min = 1, max = 7 } = input;
  const n = labels.length;
  const id = input.id.replace(/[^A-Za-z0-9_-]/g, '');
  const series = input.series.slice(0, seriesStyles.length);
  const { width, cx, cy, radius } = geometry;
  const legendTop = cy + radius + 70;
  const height = legendTop + series.length * 24 + 10;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" class="pw-chart pw-compass" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="${id}-title ${id}-desc" font-family="&quot;GDS Transport&quot;, arial, sans-serif">`);
  out.push(`<title id="${id}-title">${escapeXml(input.title)}</title>`);
  out.push(`<desc id="${id}-desc">${escapeXml(describe({ ...input, series }))}</desc>`);

  // Rings at each whole rating, labelled up the top spoke; the centre is the lowest rating.
  out.push('<g class="pw-compass__grid" fill="none" stroke="#b1b4b6" stroke-width="1">');
  for (let v = min + 1; v <= max; v++) {
    const ring = Array.from({ length: n }, (_, i) => pointOn(i, n, v, min, max));
    out.push(`<polygon points="${ring.map((p) => `${fmt(p.x)},${fmt(p.y)}`).join(' ')}"/>`);
  }
  for (let i = 0; i < n; i++) {
    const end = pointOn(i, n, max, min, max);
    out.push(`<line x1="${cx}" y1="${cy}" x2="${fmt(end.x)}" y2="${fmt(end.y)}"/>`);
  }
  out.push('</g>');
  out.push('<g class="pw-compass__scale" font-size="13" fill="#505a5f" aria-hidden="true">');
  for (let v = min; v <= max; v++) {
    const p = pointOn(0, n, v, min, max);
    out.push(`<text x="${fmt(p.x + 4)}" y="${fmt(p.y + 4)}">${v}</text>`);
  }
  out.push('</g>');

  // Theme labels around the outside, anchored away from the centre.
  out.push('<g class="pw-compass__labels" font-size="16" fill="#0b0c0c">');
  labels.forEach((label, i) => {
    const angle = -Math.PI / 2 + (2 * Math.PI * i) / n;
    const lx = cx + (radius + 14) * Math.cos(angle);
    const ly = cy + (radius + 14) * Math.sin(angle);
    const cos = Math.cos(angle);
    const anchor = Math.abs(cos) < 0.2 ? 'middle' : cos > 0 ? 'start' : 'end';
    const lines = wrap(label);
    const sin = Math.sin(angle);
    // Lines stack upwards above the chart, downwards below it, and centre on the spoke at the sides.
    const first = sin < -0.5 ? ly - (lines.length - 1) * 18 - 2 : sin > 0.5 ? ly + 12 : ly - ((lines.length - 1) * 18) / 2 + 5;
    out.push(`<text x="${fmt(lx)}" y="${fmt(first)}" text-anchor="${anchor}">${lines.map((l, k) => `<tspan x="${fmt(lx)}" dy="${k ? 18 : 0}">${escapeXml(l)}</tspan>`).join('')}</text>`);
  });
  out.push('</g>');

  // The series: a closed shape when every theme has a value; otherwise only the runs between shown values.
  series.forEach((s, k) => {
    const style = seriesStyles[k]!;
    const points = s.values.map((v, i) => (v === null ? null : pointOn(i, n, v, min, max)));
    const dash = style.dash ? ` stroke-dasharray="${style.dash}"` : '';
    out.push(`<g class="pw-compass__series" data-series="${k}">`);
    if (points.every((p) => p !== null)) {
      out.push(`<polygon points="${points.map((p) => `${fmt(p!.x)},${fmt(p!.y)}`).join(' ')}" fill="${style.colour}" fill-opacity="0.08" stroke="${style.colour}" stroke-width="2.5"${dash}/>`);
    } else {
      const runs: string[] = [];
      for (let i = 0; i < n; i++) {
        const a = points[i];
        const b = points[(i + 1) % n];
        if (a && b) runs.push(`M${fmt(a.x)},${fmt(a.y)}L${fmt(b.x)},${fmt(b.y)}`);
      }
      if (runs.length) out.push(`<path d="${runs.join('')}" fill="none" stroke="${style.colour}" stroke-width="2.5"${dash}/>`);
    }
    for (const p of points) if (p) out.push(marker(style.marker, p.x, p.y, style.colour));
    out.push('</g>');
  });

  // The legend names each series with its line and marker.
  out.push('<g class="pw-compass__legend" font-size="16" fill="#0b0c0c">');
  series.forEach((s, k) => {
    const style = seriesStyles[k]!;
    const y = legendTop + k * 24;
    const dash = style.dash ? ` stroke-dasharray="${style.dash}"` : '';
    out.push(`<line x1="40" y1="${y}" x2="80" y2="${y}" stroke="${style.colour}" stroke-width="2.5"${dash}/>`);
    out.push(marker(style.marker, 60, y, style.colour));
    out.push(`<text x="92" y="${y + 5}">${escapeXml(s.label)}</text>`);
  });
  out.push('</g>');
  out.push('</svg>');
  return out.join('');
}
