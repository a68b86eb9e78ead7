import { reportPdf } from '../../platform/web/pdf-layout.ts';
import { day, statusText, type BoardReport } from './report.ts';
import type { PartnershipStage } from './schema.ts';
import { stageText } from './stages.ts';


const longDate = (d: string | Date) => (typeof d === 'string' ? new Date(`${d}T00:00:00Z`) : d).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', year: 'numeric', timeZone: 'UTC' });

/**
 * The board report as an A4 PDF for a board pack: the same sections as the page, in the same order. Tagged,
 * titled and in English so screen readers can read it, as the area profile PDF is.
 */
export function boardReportPdf(report: BoardReport, url: string): Promise<Buffer> {
  const title = `${report.partnership.name}: board report, ${longDate(report.period.from)} to ${longDate(report.period.to)}`;
  const { doc, done, width, heading, para, table } = reportPdf(title, 'Partnership board report');

  const p = report.partnership;
  doc.font('Helvetica').fontSize(10).fillColor('#505a5f').text(`Board report · ${longDate(report.period.from)} to ${longDate(report.period.to)}`, { width });
  doc.font('Helvetica-Bold').fontSize(22).fillColor('#0b0c0c').text(p.name, { width });
  doc.font('Helvetica').fontSize(9).fillColor('#505a5f').text(`From Patchwork, ${longDate(new Date())}, generated from the partnership’s plan, updates and meetings: ${url}`, { width });
  doc.fillColor('#0b0c0c');

  heading('The partnership');
  table(
    [
      { label: 'About', width: width * 0.3 },
      { label: 'Detail', width: width * 0.7 },
    ],
    [
      ['Stage', stageText[p.stage as PartnershipStage] ?? p.stage],
      ['Places', p.places.join('; ') || 'None recorded'],
      ['Organisations', p.organisations.join('; ') || 'None recorded'],
    ],
  );

  heading('Highlights');
  if (report.highlights.length) report.highlights.forEach((h) => para(`• ${h}`));
  else para('No actions were completed and no decisions were recorded in this period.');

  heading('Actions by status');
  table(
    [
      { label: 'Status', width: width * 0.4 },
      { label: 'Actions now', width: width * 0.3, align: 'right' },
      { label: 'Moved to it in the period', width: width * 0.3, align: 'right' },
    ],
    [...report.actionsByStatus.map((s) => [s.label, String(s.now), String(s.movedInto)]), ['All actions', String(report.totals.actions), `${report.totals.changedStatus} actions changed status`]],
  );

  heading('What changed');
  if (report.whatChanged.length)
    table(
      [
        { label: 'When', width: width * 0.14 },
        { label: 'Action', width: width * 0.26 },
        { label: 'Status', width: width * 0.22 },
        { label: 'Update', width: width * 0.26 },
        { label: 'By', width: width * 0.12 },
      ],
      report.whatChanged.map((c) => [day(c.at), c.actionTitle, c.fromStatus === c.toStatus ? `${statusText[c.toStatus]} (no change)` : `${statusText[c.fromStatus]} to ${statusText[c.toStatus]}`, c.note, c.by ?? '']),
    );
  else para('No updates were recorded in this period.');

  heading('Overdue actions, by owning organisation');
  if (report.overdue.length) {
    for (const group of report.overdue) {
      doc.font('Helvetica-Bold').fontSize(11).text(`${group.organisation} (${group.actions.length})`, 50, doc.y, { width });
      table(
        [
          { label: 'Action', width: width * 0.45 },
          { label: 'Lead', width: width * 0.2 },
          { label: 'Due', width: width * 0.15 },
          { label: 'Status', width: width * 0.2 },
        ],
        group.actions.map((a) => [a.title, a.leadName, a.dueOn ?? '', statusText[a.status]]),
      );
    }
  } else para('No actions are overdue.');

  heading('Completed in the period');
  if (report.completed.length) table([{ label: 'Action', width: width * 0.5 }, { label: 'Owner', width: width * 0.3 }, { label: 'Completed', width: width * 0.2 }], report.completed.map((a) => [a.title, a.ownerName, day(a.completedAt!)]));
  else para('No actions were completed in this period.');

  heading('New actions in the period');
  if (report.newActions.length)
    table(
      [
        { label: 'Action', width: width * 0.35 },
        { label: 'Priority', width: width * 0.25 },
        { label: 'Owner', width: width * 0.2 },
        { label: 'Agreed at', width: width * 0.2 },
      ],
      report.newActions.map((a) => [a.title, a.priorityTitle, a.ownerName, a.meeting ? `${a.meeting.title}, ${a.meeting.heldOn}` : '']),
    );
  else para('No actions were added in this period.');

  heading('Meetings held');
  if (report.meetings.length)
    for (const m of report.meetings) {
      doc.font('Helvetica-Bold').fontSize(11).text(`${m.title}, ${longDate(m.heldOn)}`, 50, doc.y, { width });
      if (m.decisions.length) m.decisions.forEach((d) => para(`• ${d.text}${d.priorityTitle ? ` (priority: ${d.priorityTitle})` : ''}`));
      else para('No decisions recorded.');
    }
  else para('No meetings were held in this period.');

  heading('Key indicators');
  if (report.keyIndicators.length)
    for (const k of report.keyIndicators) {
      doc.font('Helvetica-Bold').fontSize(11).text(`${k.area} (${k.code})`, 50, doc.y, { width });
      if (k.notLoaded) para(k.notLoaded);
      else
        table(
          [
            { label: 'Figure', width: width * 0.34 },
            { label: 'Now', width: width * 0.2 },
            { label: 'Before', width: width * 0.22 },
            { label: 'Change', width: width * 0.24 },
          ],
          k.figures.map((f) => [`${f.label}${f.edition ? `, ${f.edition}` : ''}`, f.value, f.then ?? '', f.change ?? f.note ?? '']),
        );
    }
  else para('The partnership has no wards and no indicators linked as evidence, so there are no figures to show.');

  doc.end();
  return done;
}
