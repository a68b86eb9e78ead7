import PDFDocument from 'pdfkit';
import { pdfLayout } from '../../platform/web/pdf-layout.ts';
import { comparabilityCaveat } from '../indicators/service.ts';
import { decileColours } from './charts.ts';
import type { Profile } from './service.ts';
import type { AreaValue, LocalIndicator } from '../local-data/service.ts';
import type { IndexPosition } from '../composite-index/service.ts';

/** What a profile shows beyond the national data: local indicators and composite indexes shared with the reader. */
export type ProfileExtras = { localData: (AreaValue & { indicator: LocalIndicator })[]; indexPositions: IndexPosition[] };

const ogl = 'Contains public sector information licensed under the Open Government Licence v3.0. Contains OS data © Crown copyright and database right.';
const number = (v: number | null | undefined, decimals = 0) => (v === null || v === undefined ? '–' : v.toLocaleString('en-GB', { minimumFractionDigits: decimals, maximumFractionDigits: decimals }));
const percent = (v: number) => `${Math.round(v * 100)}%`;


/**
 * An area's profile as an A4 PDF for a board paper: the same figures as the page, in the same order, with
 * the data's source and licence and the caveat about comparing editions. Tagged, titled and in English so
 * screen readers can read it.
 */
export function profilePdf(profile: Profile, domainLabel: string, url: string, extras: ProfileExtras = { localData: [], indexPositions: [] }): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: 50,
    tagged: true,
    lang: 'en-GB',
    displayTitle: true,
    pdfVersion: '1.7',
    info: { Title: `${profile.name}: ${domainLabel}, ${profile.edition.label}`, Author: 'Patchwork', Subject: 'Area profile', Creator: 'Patchwork' },
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve) => doc.on('end', () => resolve(Buffer.concat(chunks))));
  const width = doc.page.width - 100;
  const levelName = profile.level === 'lad' ? 'District' : profile.level === 'ward' ? 'Ward' : 'LSOA';

  const { heading, table } = pdfLayout(doc, width);

  doc.font('Helvetica').fontSize(10).fillColor('#505a5f').text(`${levelName} ${profile.code} · ${profile.edition.label} · ${domainLabel}`, { width });
  doc.font('Helvetica-Bold').fontSize(24).fillColor('#0b0c0c').text(profile.name, { width });
  doc.font('Helvetica').fontSize(9).fillColor('#505a5f').text(`From Patchwork, ${new Date().toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric' })}: ${url}`, { width });
  doc.fillColor('#0b0c0c');

  heading('At a glance', 15);
  const facts: string[][] = [['Population', profile.population === null ? '–' : `${number(profile.population)} (the edition’s denominator)`]];
  if (profile.level !== 'lsoa' && profile.summary) {
    const s = profile.summary;
    facts.push(
      ['LSOAs', number(profile.lsoaCount)],
      ['In the most deprived 10% of LSOAs nationally', `${number(profile.decileCounts[0])} (${percent(profile.lsoaCount ? (profile.decileCounts[0] ?? 0) / profile.lsoaCount : 0)})`],
      ['In the most deprived 1%', number(s.mostDeprived1pct)],
      [`Rank among ${number(profile.peers)} ${levelName.toLowerCase()}s by average score`, `${number(s.rankAverageScore)} (1 = most deprived)`],
      ['Extent', `${s.extent === null ? '–' : `${(s.extent * 100).toFixed(1)}%`}; rank ${number(s.rankExtent)}`],
      ['Local concentration', `rank ${number(s.rankLocalConcentration)}`],
    );
  } else {
    const imd = profile.domains.find((d) => d.key === 'imd');
    if (imd) facts.push(['Index of Multiple Deprivation', `rank ${number(imd.rank)} of ${number(profile.edition.lsoaCount)}, decile ${imd.decile ?? '–'} (1 = most deprived)`]);
  }
  table([{ label: 'Figure', width: width * 0.5 }, { label: 'Value', width: width * 0.5 }], facts);

  heading('The Index of Multiple Deprivation and its domains', 15);
  const aggregate = profile.level !== 'lsoa';
  table(
    [
      { label: 'Index or domain', width: width * 0.4 },
      { label: aggregate ? 'Average score' : 'Score', width: width * 0.15, align: 'right' },
      { label: 'Rank', width: width * 0.15, align: 'right' },
      { label: 'Decile', width: width * 0.1, align: 'right' },
      ...(aggregate ? [{ label: 'LSOAs in most deprived 10%', width: width * 0.2, align: 'right' as const }] : []),
    ],
    profile.domains.map((d) => [d.label, number(d.score, 3), number(d.rank), d.decile ? String(d.decile) : '–', ...(aggregate ? [`${number(d.lsoasInDecile1)} of ${number(d.lsoaCount)}`] : [])]),
  );

  if (aggregate) {
    heading('How its LSOAs spread across the national deciles', 15);
    // Bars drawn directly: the share of the area's LSOAs in each decile, with England's 10% as a line.
    const shares = profile.decileCounts.map((n) => (profile.lsoaCount ? n / profile.lsoaCount : 0));
    const top = doc.y + 5;
    const chartHeight = 120;
    const max = Math.max(0.2, ...shares) * 1.1;
    const band = width / 10;
    shares.forEach((share, i) => {
      const h = (share / max) * chartHeight;
      doc.rect(50 + i * band + band * 0.15, top + chartHeight - h, band * 0.7, h).fillAndStroke(decileColours[i]!, '#0b0c0c');
      doc.fillColor('#0b0c0c').fontSize(9).text(String(i + 1), 50 + i * band, top + chartHeight + 4, { width: band, align: 'center' });
    });
    const england = top + chartHeight - (0.1 / max) * chartHeight;
    doc.moveTo(50, england).lineTo(50 + width, england).dash(4, { space: 3 }).strokeColor('#0b0c0c').lineWidth(1).stroke().undash();
    doc.fontSize(8).text('England 10%', 50, england - 11, { width, align: 'right' });
    doc.x = 50;
    doc.y = top + chartHeight + 20;
    doc.fontSize(9).text('National decile (1 = most deprived 10%)', { width, align: 'center' });
    doc.moveDown(0.5);
    table(
      [
        { label: 'National decile', width: width * 0.3 },
        { label: 'LSOAs', width: width * 0.2, align: 'right' },
        { label: 'Share', width: width * 0.15, align: 'right' },
        { label: profile.parentLad && profile.level !== 'lad' ? profile.parentLad.name : '', width: width * 0.2, align: 'right' },
        { label: 'England', width: width * 0.15, align: 'right' },
      ],
      profile.decileCounts.map((n, i) => [
        `${i + 1}${i === 0 ? ' (most deprived)' : i === 9 ? ' (least deprived)' : ''}`,
        number(n),
        percent(shares[i]!),
        profile.parentLad && profile.level !== 'lad' ? percent(profile.parentLad.lsoaCount ? (profile.parentLad.decileCounts[i] ?? 0) / profile.parentLad.lsoaCount : 0) : '',
        '10%',
      ]),
    );
  }

  if (extras.localData.length) {
    heading('Local data', 15);
    table(
      [
        { label: 'Indicator', width: width * 0.4 },
        { label: 'Value', width: width * 0.2, align: 'right' },
        { label: 'How', width: width * 0.25 },
        { label: 'From', width: width * 0.15 },
      ],
      extras.localData.map((d) => [
        `${d.indicator.label} (${d.indicator.period})`,
        `${number(d.value, 2)} ${d.indicator.unit}`,
        d.method === 'as uploaded' ? 'as uploaded' : `${d.method === 'sum' ? 'sum' : 'population-weighted average'} of ${number(d.covered)} of ${number(d.of)} LSOAs`,
        d.indicator.ownerName ?? '',
      ]),
    );
  }

  if (extras.indexPositions.length) {
    heading('Composite indexes', 15);
    table(
      [
        { label: 'Index', width: width * 0.35 },
        { label: 'Position (scores 0–100; rank 1 is the best placed)', width: width * 0.45 },
        { label: 'From', width: width * 0.2 },
      ],
      extras.indexPositions.map((p) => [
        p.index.name,
        p.kind === 'member'
          ? p.rank
            ? `Rank ${number(p.rank)} of ${number(p.scored)} ${p.levelName}, score ${number(p.score, 1)}`
            : `Not scored: ${p.missing.length} input${p.missing.length === 1 ? ' is' : 's are'} missing`
          : `${number(p.members)} of its ${p.levelName} scored; ${number(p.inLowestFifth)} in the lowest-scoring fifth of all ${number(p.scored)}`,
        p.index.ownerName,
      ]),
    );
  }

  heading('Change across editions', 15);
  doc.fontSize(9.5).text(comparabilityCaveat, { width });
  doc.moveDown(0.4);
  table(
    [
      { label: 'Edition', width: width * 0.4 },
      { label: aggregate ? 'In most deprived 10%' : '', width: width * 0.25, align: 'right' },
      { label: 'Rank', width: width * 0.2, align: 'right' },
      { label: 'Decile', width: width * 0.15, align: 'right' },
    ],
    profile.editions.map((e) =>
      e.inGeography
        ? [e.edition.label, aggregate ? `${number(e.decileCounts?.[0])} of ${number(e.lsoaCount)}` : '', `${number(e.rank)} of ${number(e.peers)}`, e.decile ? String(e.decile) : '–']
        : [e.edition.label, 'not in this edition’s geography', '', ''],
    ),
  );

  heading('Source', 12);
  doc.fontSize(9).text(`${profile.edition.publisher}, ${profile.edition.label}; Office for National Statistics lookups and population estimates. ${ogl} Definitions of every figure: "About the data" in Patchwork.`, { width });
  doc.end();
  return done;
}
