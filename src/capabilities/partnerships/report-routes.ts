import { stringify } from 'csv-stringify/sync';
import type { FastifyPluginAsync } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { access } from '../../platform/auth/permissions.ts';
import { guardCell } from '../../platform/data/csv.ts';
import { formProblems, type FormErrors } from '../../platform/web/forms.ts';
import { problemFor, sendCsv } from '../indicators/routes.ts';
import { validDate } from './meetings.ts';
import { stageText } from './stages.ts';
import { actionRows, boardReport, day, statusText, yesNo, type Period } from './report.ts';
import { boardReportPdf } from './report-pdf.ts';

/** The board report for a period: a page with a form to choose the dates, the same as a PDF, and the actions as CSV. */

const params = z.object({ partnershipId: z.string().max(100) });
// Dates are checked by hand so a bad one gets a message about that date, on the page, not a schema error.
const query = z.object({ from: z.string().max(40).optional(), to: z.string().max(40).optional() });

/** The last three months to today, unless dates are given. */
export function defaultPeriod(now = new Date()): Period {
  // Today in England, which is what the people reading the report mean by today.
  const to = day(now);
  const [y, m, d] = to.split('-').map(Number) as [number, number, number];
  const start = new Date(Date.UTC(y, m - 1 - 3, d));
  // 31 May less three months is 31 February, which Date rolls into March; go back to the month's last day instead.
  if (start.getUTCMonth() !== (m - 1 + 9) % 12) start.setUTCDate(0);
  return { from: start.toISOString().slice(0, 10), to };
}

export function periodOf(q: { from?: string; to?: string }, now = new Date()): { period: Period; errors: FormErrors | null } {
  const fallback = defaultPeriod(now);
  const { errors, fail } = formProblems();
  const from = q.from?.trim() || fallback.from;
  const to = q.to?.trim() || fallback.to;
  if (!validDate(from)) fail('from', `“${from}” is not a date: enter the start of the period as YYYY-MM-DD, like 2025-01-01`);
  if (!validDate(to)) fail('to', `“${to}” is not a date: enter the end of the period as YYYY-MM-DD, like 2025-03-31`);
  if (!errors.summary.length && from > to) fail('from', 'The start of the period must be on or before its end');
  return { period: { from, to }, errors: errors.summary.length ? errors : null };
}

export const reportRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;
  const base = (id: string) => `/partnerships/${id}/report`;
  const qs = (p: Period) => `?from=${p.from}&to=${p.to}`;

  app.get('/partnerships/:partnershipId/report', { config: { access: access.partnership('viewer') }, schema: { params, querystring: query } }, async (request, reply) => {
    const p = request.partnership!;
    const { period, errors } = periodOf(request.query);
    if (errors) return reply.page('partnerships/views/report-page.njk', { pageTitle: `${p.name}: board report`, partnership: p, values: request.query, errors, report: null, action: base(p.id) }, 400);
    const report = (await boardReport(db(), p.id, period))!;
    return reply.page('partnerships/views/report-page.njk', {
      pageTitle: `${p.name}: board report`,
      partnership: p,
      values: period,
      report,
      stageText,
      statusText,
      action: base(p.id),
      pdfHref: `${base(p.id)}.pdf${qs(period)}`,
      csvHref: `${base(p.id)}.csv${qs(period)}`,
      meetingsHref: `/partnerships/${p.id}/meetings`,
    });
  });

  app.get('/partnerships/:partnershipId/report.pdf', { config: { access: access.partnership('viewer') }, schema: { params, querystring: query } }, async (request, reply) => {
    const { period, errors } = periodOf(request.query);
    if (errors) return problemFor(request, reply, 400, 'Bad dates for the report', errors.summary.map((e) => e.text).join('. '));
    const p = request.partnership!;
    const report = (await boardReport(db(), p.id, period))!;
    const pdf = await boardReportPdf(report, `${request.protocol}://${request.host}${base(p.id)}${qs(period)}`);
    return reply.type('application/pdf').header('content-disposition', `attachment; filename="board-report-${period.from}-to-${period.to}.pdf"`).send(pdf);
  });

  app.get('/partnerships/:partnershipId/report.csv', { config: { access: access.partnership('viewer') }, schema: { params, querystring: query } }, async (request, reply) => {
    const { period, errors } = periodOf(request.query);
    if (errors) return problemFor(request, reply, 400, 'Bad dates for the report', errors.summary.map((e) => e.text).join('. '));
    const rows = await actionRows(db(), request.partnership!.id, period.to);
    // What people typed is guarded, so the file cannot carry a formula into a spreadsheet.
    const csv = stringify(
      rows.map((a) => ({
        id: a.id,
        priority: guardCell(a.priorityTitle),
        aim: guardCell(a.aimTitle ?? ''),
        title: guardCell(a.title),
        owner_organisation: guardCell(a.ownerName),
        lead: guardCell(a.leadName),
        start: a.startOn ?? '',
        due: a.dueOn ?? '',
        status: a.status,
        overdue: yesNo(a.overdue),
        completed_at: a.completedAt ? a.completedAt.toISOString() : '',
        last_update_date: a.lastUpdate ? day(a.lastUpdate.at) : '',
        last_update_note: guardCell(a.lastUpdate?.note ?? ''),
      })),
      { header: true, columns: ['id', 'priority', 'aim', 'title', 'owner_organisation', 'lead', 'start', 'due', 'status', 'overdue', 'completed_at', 'last_update_date', 'last_update_note'] },
    );
    return sendCsv(reply, `actions-${period.to}.csv`, csv);
  });
};
