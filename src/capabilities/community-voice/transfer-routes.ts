import { eq } from 'drizzle-orm';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf, recordAudit } from '../../platform/audit/audit.ts';
import { access, viewerOf } from '../../platform/auth/permissions.ts';
import { ImportError } from '../../platform/data/csv.ts';
import type { FormErrors } from '../../platform/web/forms.ts';
import { sendCsv } from '../indicators/routes.ts';
import { questionsOf, VoiceError, type Campaign, type Question } from './campaigns.ts';
import { recordResponse, type Problem } from './responses.ts';
import { voiceResponses } from './schema.ts';
import { formFromFields, neighbourhoodsVisibleTo, responseInputFromForm } from './response-form.ts';
import { commentColumn, exportResponses, importResponses, maxImportRows, questionColumn, templateCsv } from './transfer.ts';
import { demographics, questionKindLabels } from './vocabulary.ts';
import { campaignOfOrganisation, campaignParams, campaignPath, formBody, type Form } from './web.ts';

/**
 * Responses in and out: responses a volunteer's device kept while offline, sent when it is back online (JSON,
 * one at a time, each safe to send twice); a coordinator's CSV or Excel import, all or nothing; the template
 * for it; and the export, which imports again as it is.
 */

const syncBody = z.object({
  clientId: z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'clientId must be a UUID'),
  answeredAt: z.string().max(40),
  fields: z.array(z.tuple([z.string().max(200), z.string().max(10_000)])).max(500),
});

const refused = (reply: FastifyReply, status: 400 | 409, problems: Problem[]) => reply.code(status).send({ status: 'refused' as const, problems });

/** What the template's columns hold, for the import page; allowed values are listed in docs/VOICE-CSV.md too. */
function columnGuide(questions: Question[]) {
  const rows: { name: string; description: string }[] = [
    { name: 'answered_at', description: 'The date the response was given, like 2026-05-14 (or a date and time like 2026-05-14T10:30:00Z). Required.' },
    { name: 'postcode', description: 'The respondent’s postcode, used to find their area and then not kept. Leave blank to use neighbourhood_id or give no place.' },
    { name: 'neighbourhood_id', description: 'Instead of a postcode: the id of a neighbourhood you can see (from its page’s address).' },
  ];
  for (const q of questions) {
    const how =
      q.kind === 'scale'
        ? `a whole number from ${q.scaleMin} to ${q.scaleMax}`
        : q.kind === 'choice'
          ? `one of: ${q.options!.join(' | ')}`
          : q.kind === 'multiple-choice'
            ? `any of these, separated by “;”: ${q.options!.join(' | ')}`
            : 'the answer as said';
    rows.push({ name: questionColumn(q), description: `${questionKindLabels[q.kind]}: ${how}.${q.required ? ' Required.' : ''}` });
    if (q.withComment) rows.push({ name: commentColumn(q), description: `Any comment on question ${q.position}.` });
  }
  rows.push({ name: 'demographics_consent', description: 'yes when the person agreed to their answers about themselves being kept; otherwise leave it and the columns after it blank.' });
  for (const d of demographics) rows.push({ name: d.column, description: `${d.label}: one of ${d.values.join(', ')}.` });
  return rows;
}

export const transferRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;

  // ---- Responses made offline ----------------------------------------------------------------------------

  app.post(
    '/organisations/:slug/voice/:campaignId/sync',
    { config: { access: access.organisation('member') }, schema: { params: campaignParams, body: formBody }, attachValidation: true },
    async (request, reply) => {
      const campaign = await campaignOfOrganisation(request);
      if (!campaign) return reply.callNotFound();
      const parsed = syncBody.safeParse(request.body);
      if (!parsed.success) return refused(reply, 400, parsed.error.issues.map((i) => ({ field: 'form', message: `What was sent could not be read (${i.path.join('.') || 'body'}: ${i.message})` })));
      const { clientId, answeredAt, fields } = parsed.data;
      // As the capture form: a response given on the closing day and sent the next morning still counts, so only
      // the campaign's status stops it.
      if (campaign.status !== 'open') {
        // A response that reached us before the campaign closed, sent again because its reply was lost, is not lost.
        const [seen] = await db().select({ id: voiceResponses.id, campaignId: voiceResponses.campaignId }).from(voiceResponses).where(eq(voiceResponses.clientId, clientId));
        if (seen?.campaignId === campaign.id) return reply.code(200).send({ status: 'already-recorded' as const, id: seen.id });
        return refused(reply, 409, [{ field: 'form', message: 'This campaign has closed, or is not open yet, so it is not taking responses. Ask its coordinator.' }]);
      }
      const questions = await questionsOf(db(), campaign.id);
      const input = responseInputFromForm(formFromFields(fields), questions);
      // When the volunteer gave a date on the form it stands; otherwise the device's clock says when.
      if (input.answeredAt && Number.isNaN(input.answeredAt.getTime())) return refused(reply, 400, [{ field: 'answered-at', message: 'Enter the date answered as a real date, for example 3 10 2026, or leave it blank for today' }]);
      if (!input.answeredAt) {
        const at = /^\d{4}-\d{2}-\d{2}T/.test(answeredAt) ? new Date(answeredAt) : new Date(Number.NaN);
        if (Number.isNaN(at.getTime())) return refused(reply, 400, [{ field: 'answered-at', message: 'The time the response was given could not be read' }]);
        input.answeredAt = at;
      }
      const viewer = await viewerOf(db(), request.user);
      const meta = { channel: 'volunteer' as const, capturedBy: request.user!.id, clientId, neighbourhoodAllowed: neighbourhoodsVisibleTo(viewer) };
      let result: Awaited<ReturnType<typeof recordResponse>>;
      try {
        result = await recordResponse(db(), campaign, questions, input, meta, actorOf(request));
      } catch (error) {
        // Two tabs sending the same response at once: the second meets the first's row (unique client id).
        if ((error as { code?: string; cause?: { code?: string } }).code !== '23505' && (error as { cause?: { code?: string } }).cause?.code !== '23505') throw error;
        result = await recordResponse(db(), campaign, questions, input, meta, actorOf(request));
      }
      if (result.status === 'refused') return refused(reply, 400, result.problems);
      return reply.code(result.status === 'recorded' ? 201 : 200).send(result);
    },
  );

  // ---- Import, template and export -----------------------------------------------------------------------

  const renderImport = async (reply: FastifyReply, campaign: Campaign, errors?: FormErrors, problems: { where: string; column: string; message: string }[] = [], status = 400) => {
    const questions = await questionsOf(db(), campaign.id);
    return reply.page(
      'community-voice/views/import-responses.njk',
      {
        pageTitle: `Import responses: ${campaign.title}`,
        campaign,
        campaignHref: campaignPath(campaign),
        accepting: campaign.status === 'open',
        columns: columnGuide(questions),
        maxRows: maxImportRows,
        errors,
        problems,
      },
      errors ? status : 200,
    );
  };

  app.get('/organisations/:slug/voice/:campaignId/import', { config: { access: access.organisation('coordinator') }, schema: { params: campaignParams } }, async (request, reply) => {
    const campaign = await campaignOfOrganisation(request);
    if (!campaign) return reply.callNotFound();
    return renderImport(reply, campaign);
  });

  app.post(
    '/organisations/:slug/voice/:campaignId/import',
    { config: { access: access.organisation('coordinator') }, schema: { params: campaignParams, body: formBody }, attachValidation: true },
    async (request, reply) => {
      const campaign = await campaignOfOrganisation(request);
      if (!campaign) return reply.callNotFound();
      const form = (request.body ?? {}) as Form;
      const bytes = Buffer.isBuffer(form.file) ? form.file : Buffer.alloc(0);
      if (!bytes.length) {
        const text = 'Choose a CSV or Excel file of responses';
        return renderImport(reply, campaign, { summary: [{ text, href: '#file' }], fields: { file: { text } } });
      }
      try {
        const viewer = await viewerOf(db(), request.user);
        const { rows } = await importResponses(db(), campaign, await questionsOf(db(), campaign.id), bytes, 'The file', viewer, actorOf(request));
        return reply.flash(`Imported ${rows.toLocaleString('en-GB')} ${rows === 1 ? 'response' : 'responses'}.`).redirect(campaignPath(campaign), 303);
      } catch (error) {
        if (error instanceof VoiceError) return renderImport(reply, campaign, { summary: [{ text: error.message, href: '#file' }], fields: { file: { text: error.message } } }, [], error.status);
        if (!(error instanceof ImportError)) throw error;
        // Every problem by row and column in a table below; the first ones in the summary too. Nothing was saved.
        const problems = error.problems.map((p) => ({ where: p.row ? `Row ${p.row}` : 'The file', column: p.column, message: p.message }));
        const headline = error.message.split('\n')[0]!;
        const summary = [{ text: headline, href: '#file' }, ...problems.slice(0, 10).map((p) => ({ text: `${p.where}, column ${p.column}: ${p.message}`, href: '#problems' }))];
        if (problems.length > 10) summary.push({ text: `…and ${problems.length - 10} more, listed below`, href: '#problems' });
        return renderImport(reply, campaign, { summary, fields: { file: { text: headline } } }, problems);
      }
    },
  );

  app.get('/organisations/:slug/voice/:campaignId/template.csv', { config: { access: access.organisation('viewer') }, schema: { params: campaignParams } }, async (request, reply) => {
    const campaign = await campaignOfOrganisation(request);
    if (!campaign) return reply.callNotFound();
    return sendCsv(reply, `voice-${campaign.id.slice(0, 8)}-template.csv`, templateCsv(await questionsOf(db(), campaign.id)));
  });

  app.get('/organisations/:slug/voice/:campaignId/responses.csv', { config: { access: access.organisation('coordinator') }, schema: { params: campaignParams } }, async (request, reply) => {
    const campaign = await campaignOfOrganisation(request);
    if (!campaign) return reply.callNotFound();
    const csv = await db().transaction(async (tx) => {
      const made = await exportResponses(tx, campaign, await questionsOf(tx, campaign.id));
      await recordAudit(tx, { actor: actorOf(request), action: 'voice.responses.exported', objectType: 'voice_campaign', objectId: campaign.id, organisationId: campaign.organisationId, details: { rows: made.rows } });
      return made.csv;
    });
    return sendCsv(reply.header('cache-control', 'private, no-store'), `voice-${campaign.id.slice(0, 8)}-responses-${new Date().toISOString().slice(0, 10)}.csv`, csv);
  });
};
