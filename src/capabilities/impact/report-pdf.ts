import { longDate } from '../../platform/web/dates.ts';
import { reportPdf } from '../../platform/web/pdf-layout.ts';
import { assumptions } from './models.ts';
import { reportMethod, type ImpactReport } from './report.ts';
import { plain, pounds } from './web.ts';

/**
 * The impact report as an A4 PDF: the page's sections in the same order, with every figure's source and every SROI
 * assumption's source, so it can go to a board or a funder on its own. Tagged, titled and in English for screen
 * readers, like Patchwork's other PDFs.
 */
export function impactReportPdf(report: ImpactReport, url: string): Promise<Buffer> {
  const p = report.partnership;
  const title = `${p.name}: impact report, ${longDate(report.generatedOn)}`;
  const { doc, done, width, heading, para, table } = reportPdf(title, 'Partnership impact report');
  const subheading = (text: string) => heading(text, 12);

  doc.font('Helvetica').fontSize(10).fillColor('#505a5f').text(`Impact report · ${longDate(report.generatedOn)}`, { width });
  doc.font('Helvetica-Bold').fontSize(22).fillColor('#0b0c0c').text(p.name, { width });
  doc.font('Helvetica').fontSize(9).fillColor('#505a5f').text(`From Patchwork, made from the partnership’s outcomes, measures, stories and social return models: ${url}`, { width });
  doc.fillColor('#0b0c0c');
  table(
    [
      { label: 'About', width: width * 0.3 },
      { label: 'Detail', width: width * 0.7 },
    ],
    [
      ['Places', p.places.join('; ') || 'None recorded'],
      ['Organisations', p.organisations.join('; ') || 'None recorded'],
    ],
  );

  heading('Highlights');
  report.highlights.forEach((h) => para(`• ${h}`));

  heading('Outcomes and progress');
  if (!report.outcomes.length) para('No outcomes have been agreed yet.');
  for (const o of report.outcomes) {
    subheading(o.title);
    if (o.description) para(o.description);
    para(`Agreed with ${o.agreedWith} on ${longDate(o.agreedOn)}.`);
    if (!o.measures.length) para('No measures set for this outcome yet.');
    for (const m of o.measures) {
      doc.font('Helvetica-Bold').fontSize(10).text(m.name, 50, doc.y, { width });
      para(m.sentence);
      table(
        [
          { label: 'Date', width: width * 0.22 },
          { label: 'Value', width: width * 0.18, align: 'right' },
          { label: 'Source', width: width * 0.6 },
        ],
        [
          ...(m.baseline ? [[`${longDate(m.baseline.on)} (baseline)`, m.baseline.display, m.sourceNote]] : []),
          ...m.measurements.map((v) => [longDate(v.measuredOn), v.display, v.source]),
          ...(m.target ? [[`${longDate(m.target.on)} (target)`, m.target.display, 'Target agreed by the partnership']] : []),
        ],
      );
    }
  }

  heading('Stories');
  if (!report.stories.length) para('No stories have been published yet.');
  for (const s of report.stories) {
    subheading(s.title);
    para(`${longDate(s.toldOn)}${s.areas.length ? ` · ${s.areas.map((a) => a.name).join(', ')}` : ''}${s.sample ? ' · sample data' : ''}`);
    para(s.body);
    if (s.quote) para(`“${s.quote}”`);
  }
  if (report.storiesHeldBack) para(`${report.storiesHeldBack} ${report.storiesHeldBack === 1 ? 'story is' : 'stories are'} left out because not published: a story goes into the report only with the consent of the person it is about.`);

  heading('Social return on investment');
  if (!report.models.length) para('No social return on investment model has been built yet.');
  for (const mr of report.models) {
    subheading(`${mr.model.title} (${mr.model.period})`);
    if (mr.result && mr.headline) {
      table(
        [
          { label: 'Figure', width: width * 0.4 },
          { label: 'Value', width: width * 0.6 },
        ],
        [
          ['SROI ratio', mr.headline.ratioText],
          ['Total present value', pounds(mr.result.presentValue)],
          ['Total inputs', pounds(mr.result.totalInputs)],
          ['Net present value', pounds(mr.result.netPresentValue)],
          ['Payback period', mr.headline.paybackText],
          ['Discount rate', `${plain(mr.model.discountRate)}% a year (source: ${mr.model.discountRateSource})`],
        ],
      );
    } else para(`This model cannot be calculated yet: ${mr.problems.join('; ')}.`);
    if (mr.inputs.length)
      table(
        [
          { label: 'Input', width: width * 0.35 },
          { label: 'Amount', width: width * 0.15, align: 'right' },
          { label: 'Cash or in kind', width: width * 0.15 },
          { label: 'Source', width: width * 0.35 },
        ],
        mr.inputs.map((i) => [i.description, pounds(i.amount), i.inKind ? 'In kind' : 'Cash', i.source]),
      );
    for (const o of mr.outcomes) {
      doc.font('Helvetica-Bold').fontSize(10).text(`${o.description} (${o.stakeholder})`, 50, doc.y, { width });
      table(
        [
          { label: 'Figure', width: width * 0.3 },
          { label: 'Value', width: width * 0.18, align: 'right' },
          { label: 'Source', width: width * 0.52 },
        ],
        [
          ['Quantity', plain(o.quantity), o.quantitySource],
          ['Financial proxy, a year', pounds(o.proxyValue), o.proxySource],
          ['Duration', `${o.durationYears} ${o.durationYears === 1 ? 'year' : 'years'}`, ''],
          ...assumptions.map((a) => [a.title, `${plain(o[a.key])}%`, o[`${a.key}Source`]]),
          ...(o.result ? [['Present value', pounds(o.result.presentValue), 'Calculated']] : []),
        ],
      );
    }
    if (mr.sensitivity.length)
      table(
        [
          { label: 'Sensitivity: assumption, now → lower / higher', width: width * 0.6 },
          { label: 'Ratio, lower', width: width * 0.2, align: 'right' },
          { label: 'Ratio, higher', width: width * 0.2, align: 'right' },
        ],
        mr.sensitivity.map((s) => [s.label, s.ratioLowText, s.ratioHighText]),
      );
    if (mr.breakEven.length)
      table(
        [
          { label: 'Outcome', width: width * 0.4 },
          { label: 'Break-even proxy', width: width * 0.6 },
        ],
        mr.breakEven.map((b) => [b.description, b.text]),
      );
    if (mr.costs.lines.length) {
      para('Costs avoided, shown beside the social value and not added to it (they overlap with what the proxies count):');
      table(
        [
          { label: 'Service', width: width * 0.2 },
          { label: 'People × change × years', width: width * 0.2 },
          { label: 'Unit cost', width: width * 0.12, align: 'right' },
          { label: 'Cost avoided', width: width * 0.14, align: 'right' },
          { label: 'Sources', width: width * 0.34 },
        ],
        [
          ...mr.costs.lines.map((c) => [c.service, `${plain(c.people)} × ${plain(c.changePerPersonPerYear)} × ${plain(c.years)}`, pounds(c.unitCost), pounds(c.costAvoided), `Change: ${c.changeSource}. Unit cost: ${c.unitCostSource}.`]),
          ['Total', '', '', pounds(mr.costs.total), ''],
        ],
      );
    }
  }

  heading('Method');
  para(reportMethod);

  doc.end();
  return done;
}
