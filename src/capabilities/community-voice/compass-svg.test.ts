import { describe, expect, it } from 'vitest';
import { compassSvg, geometry, pointOn } from './compass-svg.ts';
import { escapeXml } from '../../platform/web/svg.ts';
import { placeStandardThemes } from './vocabulary.ts';

const labels = placeStandardThemes.map((t) => t.label);
const { cx, cy, radius } = geometry;
const pointsOf = (svg: string, k: number) => {
  const group = svg.split(`data-series="${k}">`)[1]!.split('</g>')[0]!;
  return /<polygon points="([^"]+)"/.exec(group)![1]!.split(' ').map((p) => p.split(',').map(Number) as [number, number]);
};

describe('the compass chart', () => {
  it('draws 14 spokes in the tool’s order, the first straight up and the rest clockwise', () => {
    const svg = compassSvg({ id: 'c', title: 'Sample', labels, series: [{ label: 'Everyone', values: labels.map(() => 4) }] });
    expect(svg.match(/<line x1="360" y1="290"/g)).toHaveLength(14);
    const texts = [...svg.matchAll(/<text x="[^"]+" y="[^"]+" text-anchor="[^"]+">(.*?)<\/text>/g)].map((m) => m[1]!.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim());
    expect(texts).toEqual(labels);
    // Spoke 0 (Moving around) ends at the top of the outer ring; spoke 7 (Housing and community) at the bottom.
    expect(svg).toContain(`<line x1="360" y1="290" x2="360" y2="${cy - radius}"/>`);
    expect(pointOn(7, 14, 7).y).toBeCloseTo(cy + radius, 10);
  });

  it('puts a series of all 7s on the outer ring and all 1s at the centre', () => {
    const svg = compassSvg({ id: 'c', title: 'Sample', labels, series: [{ label: 'Top', values: labels.map(() => 7) }, { label: 'Bottom', values: labels.map(() => 1) }] });
    const outer = pointsOf(svg, 0);
    expect(outer).toHaveLength(14);
    for (const [i, [x, y]] of outer.entries()) {
      expect(Math.hypot(x - cx, y - cy)).toBeCloseTo(radius, 1);
      // Spoke i is 360/14 degrees on from the one before, clockwise from the top.
      const angle = -Math.PI / 2 + (2 * Math.PI * i) / 14;
      expect(x).toBeCloseTo(cx + radius * Math.cos(angle), 1);
      expect(y).toBeCloseTo(cy + radius * Math.sin(angle), 1);
    }
    expect(outer[0]).toEqual([360, 110]);
    // Spoke 1 by hand: 180 × (sin 25.714°, −cos 25.714°) = (78.10, −162.17) from the centre.
    expect(outer[1]![0]).toBeCloseTo(438.1, 1);
    expect(outer[1]![1]).toBeCloseTo(127.83, 1);
    for (const [x, y] of pointsOf(svg, 1)) expect([x, y]).toEqual([360, 290]);
    // A 4 is half way out: 90 above the centre on the first spoke.
    expect(pointOn(0, 14, 4)).toEqual({ x: 360, y: 200 });
  });

  it('leaves a gap for a hidden value instead of closing the shape', () => {
    const values: (number | null)[] = labels.map(() => 5);
    values[3] = null;
    const svg = compassSvg({ id: 'c', title: 'Sample', labels, series: [{ label: 'With a gap', values }] });
    const group = svg.split('data-series="0">')[1]!.split('</g>')[0]!;
    expect(group).not.toContain('<polygon points="');
    // 14 edges less the two that touch the hidden spoke.
    expect(group.match(/M/g)).toHaveLength(12);
    expect(group.match(/<circle/g)).toHaveLength(13);
    expect(svg).toContain('1 theme hidden (too few ratings)');
  });

  it('tells up to four series apart by colour, dash and marker, with a legend', () => {
    const series = ['A', 'B', 'C', 'D', 'E'].map((label, k) => ({ label, values: labels.map(() => 2 + k) }));
    const svg = compassSvg({ id: 'c', title: 'Sample', labels, series });
    expect(svg.match(/class="pw-compass__series"/g)).toHaveLength(4);
    for (const colour of ['#1d70b8', '#d4351c', '#00703c', '#4c2c92']) expect(svg).toContain(`stroke="${colour}"`);
    for (const dash of ['8 4', '2 3', '10 3 2 3']) expect(svg).toContain(`stroke-dasharray="${dash}"`);
    for (const label of ["A", "B", "C", "D"]) expect(svg).toMatch(new RegExp(`<text x="92" y="[0-9.]+">${label}</text>`));
    expect(svg).not.toContain('>E<');
  });

  it('is an image with a title and a description summarising it', () => {
    const svg = compassSvg({ id: 'ps', title: 'Pemberton (sample data)', labels, series: [{ label: 'Everyone', values: labels.map((_, i) => (i === 11 ? 2.8 : i === 4 ? 5.6 : 4)) }] });
    expect(svg).toContain('role="img" aria-labelledby="ps-title ps-desc"');
    expect(svg).toContain('<title id="ps-title">Pemberton (sample data)</title>');
    expect(svg).toContain('Everyone: lowest Feeling safe (2.8), highest Natural space (5.6).');
  });

  it('escapes every piece of text', () => {
    expect(escapeXml(`<script>alert("x")</script> & 'y'`)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;');
    const svg = compassSvg({ id: 'x"><script>', title: '<script>alert(1)</script>', labels: ['<script>alert(2)</script>', ...labels.slice(1)], series: [{ label: '<script>alert(3)</script>', values: labels.map(() => 3) }] });
    expect(svg).not.toContain('<script');
    expect(svg).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(svg).toContain('&lt;script&gt;alert(3)&lt;/script&gt;');
    expect(svg).toContain('&lt;script&gt;alert(2)&lt;/script&gt;');
  });
});
