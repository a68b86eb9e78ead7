import { describe, expect, it } from 'vitest';
import { progressChartSvg } from './progress-chart.ts';

describe('progress chart', () => {
  const chart = {
    id: 'chart-1',
    title: 'Feel safe <after> dark & “alone”',
    unit: '%',
    points: [
      { measuredOn: '2025-12-31', value: 51 },
      { measuredOn: '2025-06-30', value: 45.5 },
    ],
    baseline: { value: 42, on: '2025-03-01' },
    target: { value: 60, on: '2027-03-31' },
  };

  it('draws each value as a point on a line, oldest first, with the baseline and target marked', () => {
    const svg = progressChartSvg(chart);
    expect(svg.startsWith('<svg class="pw-chart pw-progress-chart"')).toBe(true);
    const points = [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)"[^>]*data-date="([^"]+)" data-value="([^"]+)"/g)].map((m) => [Number(m[1]), Number(m[2]), m[3], m[4]]);
    expect(points.map((p) => [p[2], p[3]])).toEqual([
      ['2025-06-30', '45.5'],
      ['2025-12-31', '51'],
    ]);
    // Later is further right; higher is further up (smaller y).
    expect(points[1]![0]).toBeGreaterThan(points[0]![0] as number);
    expect(points[1]![1]).toBeLessThan(points[0]![1] as number);
    expect(svg).toMatch(/<polyline points="[\d.]+,[\d.]+ [\d.]+,[\d.]+"/);
    expect(svg).toContain('class="pw-progress-chart__baseline"');
    expect(svg).toContain('class="pw-progress-chart__target"');
    expect(svg).toContain('>Target 60%</text>');
    expect(svg).toContain('>March 2027</text>');
  });

  it('is an image with a title and a description giving every figure, with text escaped', () => {
    const svg = progressChartSvg(chart);
    expect(svg).toContain('role="img" aria-labelledby="chart-1-title chart-1-desc"');
    expect(svg).toContain('<title id="chart-1-title">Feel safe &lt;after&gt; dark &amp; “alone”</title>');
    expect(svg).toContain('<desc id="chart-1-desc">Values over time: 30 June 2025, 45.5%; 31 December 2025, 51%. Baseline 42% in March 2025. Target 60% by March 2027.</desc>');
    expect(svg).not.toContain('<after>');
    const odd = progressChartSvg({ ...chart, id: 'c"2', unit: '<b>' });
    expect(odd).toContain('aria-labelledby="c&quot;2-title c&quot;2-desc"');
    expect(odd).toContain('>&lt;b&gt;</text>');
    expect(odd).not.toContain('<b>');
  });

  it('says so when there are no values yet', () => {
    const svg = progressChartSvg({ id: 'c', title: 'Empty', unit: 'people', points: [], baseline: null, target: null });
    expect(svg).toContain('<desc id="c-desc">No values measured yet.</desc>');
    expect(svg).not.toContain('<circle');
    expect(svg).toContain('No values measured yet</text>');
  });
});
