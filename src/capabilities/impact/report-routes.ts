import type { FastifyPluginAsync } from 'fastify';
import { access } from '../../platform/auth/permissions.ts';
import { assumptions } from './models.ts';
import { progressChartSvg } from './progress-chart.ts';
import { impactReport, reportMethod } from './report.ts';
import { impactReportPdf } from './report-pdf.ts';
import { impactContext, impactPath, partnershipParams, plain, pounds, reportPath } from './web.ts';

/** The impact report: a page (which prints) and the same as an A4 PDF, for the partnership's members to share. */
export const reportRoutes: FastifyPluginAsync = async (app) => {
  const db = () => app.database.db;

  app.get('/partnerships/:partnershipId/impact/report', { config: { access: access.partnership('viewer') }, schema: { params: partnershipParams } }, async (request, reply) => {
    const p = request.partnership!;
    const report = (await impactReport(db(), p.id))!;
    return reply.page('impact/views/report-page.njk', {
      pageTitle: `${p.name}: impact report`,
      impact: impactContext(request, 'report'),
      report,
      outcomes: report.outcomes.map((o, i) => ({
        ...o,
        measures: o.measures.map((m, j) => ({ ...m, chart: progressChartSvg({ id: `chart-${i}-${j}`, title: m.name, unit: m.unit, points: m.measurements, baseline: m.baseline, target: m.target }) })),
      })),
      money: pounds,
      plain,
      assumptions,
      method: reportMethod,
      pdfHref: reportPath(p.id, '.pdf'),
      storiesHref: impactPath(p.id, '/stories'),
    });
  });

  app.get('/partnerships/:partnershipId/impact/report.pdf', { config: { access: access.partnership('viewer') }, schema: { params: partnershipParams } }, async (request, reply) => {
    const p = request.partnership!;
    const report = (await impactReport(db(), p.id))!;
    const pdf = await impactReportPdf(report, `${request.protocol}://${request.host}${reportPath(p.id)}`);
    return reply.type('application/pdf').header('content-disposition', `attachment; filename="impact-report-${report.generatedOn}.pdf"`).send(pdf);
  });
};
