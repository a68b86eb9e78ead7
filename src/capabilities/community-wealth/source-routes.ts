import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { actorOf } from '../../platform/audit/audit.ts';
import { ImportError } from '../../platform/data/csv.ts';
import { longDate, todayInEngland } from '../../platform/web/dates.ts';
import { fieldError, type FormErrors } from '../../platform/web/forms.ts';
import { requiredSpendFields, spendFieldNames, spendFields, type SpendMapping } from './spend-columns.ts';
import {
  createSource,
  districtName,
  districts,
  importOf,
  importsOf,
  importUpload,
  offeredMapping,
  previewUpload,
  problemLines,
  readMappingForm,
  readSourceForm,
  sourceOf,
  sourcesOf,
  storeUpload,
  updateSource,
  uploadFileName,
  uploadOf,
  type ImportRow,
  type Source,
  type Upload,
} from './sources.ts';
import { formBody, importParams, money, orgParams, read, sourceParams, sourcePath, sourcesPath, suppliersPath, uploadParams, wealthContext, wealthPath, write, type Form } from './web.ts';

/**
 * Spend files: an organisation's sources (one per publisher whose payments it imports), each remembering how its
 * files' columns map. A file is uploaded and held, its columns checked by a person, then imported all or nothing;
 * the import report says what it held. Members of the organisation read all of it; members (and up) change it.
 */

const dates = (first: string | null, last: string | null) => (first && last ? (first === last ? longDate(first) : `${longDate(first)} to ${longDate(last)}`) : 'No payments added');

const noTable = 'The file has no heading row or no payments in it. Check it is a CSV or Excel file of payments with the column names in its first row, then upload it again.';

const importView = (slug: string, i: ImportRow) => ({
  ...i,
  totalText: money(i.totalPence),
  datesText: dates(i.firstPaidOn, i.lastPaidOn),
  href: sourcePath(slug, i.sourceId, `/imports/${i.id}`),
});

export const sourceRoutes: FastifyPluginAsync = async (root) => {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const db = () => app.database.db;
  const orgId = (request: FastifyRequest) => request.organisation!.id;
  const sourceFrom = (request: FastifyRequest) => sourceOf(db(), orgId(request), (request.params as { sourceId: string }).sourceId);

  app.get(sourcesPath(':slug'), { config: read, schema: { params: orgParams } }, async (request, reply) => {
    const wealth = wealthContext(request, 'sources');
    const sources = await sourcesOf(db(), orgId(request));
    return reply.page('community-wealth/views/source-list.njk', {
      pageTitle: `Spend files: ${wealth.organisationName}`,
      wealth,
      sources: sources.map((s) => ({ ...s, href: sourcePath(wealth.slug, s.id) })),
      imports: (await importsOf(db(), orgId(request))).map((i) => importView(wealth.slug, i)),
      newHref: wealth.canEdit ? sourcesPath(wealth.slug, '/new') : null,
    });
  });

  // ---- A source's name and home district ---------------------------------------------------------------------

  const renderSourceForm = async (request: FastifyRequest, reply: FastifyReply, values: Form, errors: FormErrors | undefined, source: Source | null) => {
    const wealth = wealthContext(request, 'sources');
    const chosen = typeof values.homeLad25 === 'string' ? values.homeLad25 : '';
    return reply.page(
      'community-wealth/views/source-form.njk',
      {
        pageTitle: source ? `Change the source “${source.name}”` : `Add a source of spend files: ${wealth.organisationName}`,
        wealth,
        source,
        values,
        errors,
        districtItems: [{ value: '', text: 'Not chosen yet', selected: !chosen }, ...(await districts(db())).map((d) => ({ value: d.code, text: d.name, selected: d.code === chosen }))],
        action: source ? sourcePath(wealth.slug, source.id, '/edit') : sourcesPath(wealth.slug, '/new'),
        backHref: source ? sourcePath(wealth.slug, source.id) : sourcesPath(wealth.slug),
      },
      errors ? 400 : 200,
    );
  };

  app.get(sourcesPath(':slug', '/new'), { config: write, schema: { params: orgParams } }, async (request, reply) => renderSourceForm(request, reply, {}, undefined, null));

  app.post(sourcesPath(':slug', '/new'), { config: write, schema: { params: orgParams, body: formBody } }, async (request, reply) => {
    const form = request.body as Form;
    const checked = readSourceForm(form, await districts(db()));
    if (!checked.ok) return renderSourceForm(request, reply, form, checked.errors, null);
    const id = await createSource(db(), orgId(request), checked.input, actorOf(request));
    return reply.flash(`Source “${checked.input.name}” added: upload its first file`).redirect(sourcePath(request.organisation!.slug, id), 303);
  });

  app.get(sourcePath(':slug', ':sourceId', '/edit'), { config: write, schema: { params: sourceParams } }, async (request, reply) => {
    const source = await sourceFrom(request);
    if (!source) return reply.callNotFound();
    return renderSourceForm(request, reply, { name: source.name, homeLad25: source.homeLad25 ?? '' }, undefined, source);
  });

  app.post(sourcePath(':slug', ':sourceId', '/edit'), { config: write, schema: { params: sourceParams, body: formBody } }, async (request, reply) => {
    const source = await sourceFrom(request);
    if (!source) return reply.callNotFound();
    const form = request.body as Form;
    const checked = readSourceForm(form, await districts(db()));
    if (!checked.ok) return renderSourceForm(request, reply, form, checked.errors, source);
    await updateSource(db(), orgId(request), source.id, { name: checked.input.name, homeLad25: checked.input.homeLad25 }, actorOf(request));
    return reply.flash(`Source “${checked.input.name}” saved`).redirect(sourcePath(request.organisation!.slug, source.id), 303);
  });

  // ---- A source, its mapping, its files ----------------------------------------------------------------------

  const renderSource = async (request: FastifyRequest, reply: FastifyReply, source: Source, errors?: FormErrors) => {
    const wealth = wealthContext(request, 'sources');
    const mapping = source.mapping as SpendMapping;
    const mapped = Object.keys(mapping).length > 0;
    return reply.page(
      'community-wealth/views/source-show.njk',
      {
        pageTitle: `${source.name}: spend files`,
        wealth,
        source,
        errors,
        district: await districtName(db(), source.homeLad25),
        mappingRows: mapped ? spendFields.map((f) => ({ key: { text: spendFieldNames[f] }, value: { text: mapping[f] ? `“${mapping[f]}”` : 'Not in the files' } })) : null,
        imports: (await importsOf(db(), orgId(request), { sourceId: source.id, limit: 100 })).map((i) => importView(wealth.slug, i)),
        uploadAction: sourcePath(wealth.slug, source.id, '/uploads'),
        editHref: wealth.canEdit ? sourcePath(wealth.slug, source.id, '/edit') : null,
      },
      errors ? 400 : 200,
    );
  };

  app.get(sourcePath(':slug', ':sourceId'), { config: read, schema: { params: sourceParams } }, async (request, reply) => {
    const source = await sourceFrom(request);
    if (!source) return reply.callNotFound();
    return renderSource(request, reply, source);
  });

  app.post(sourcePath(':slug', ':sourceId', '/uploads'), { config: write, schema: { params: sourceParams, body: formBody } }, async (request, reply) => {
    const source = await sourceFrom(request);
    if (!source) return reply.callNotFound();
    const file = (request.body as Form).file;
    if (!Buffer.isBuffer(file) || !file.length) return renderSource(request, reply, source, fieldError('file', 'Choose a CSV or Excel file of payments to upload'));
    // Named as on the person's computer, or by its kind and day when the browser gave no name.
    const fileName = uploadFileName(file, todayInEngland());
    // A file that cannot be read as a table is refused here, rather than kept for a check page that could show nothing.
    const unreadable = await previewUpload({ bytes: file, fileName }, undefined, 0).then(
      (p) => (p.headers.filter(Boolean).length ? null : noTable),
      (error: unknown) => {
        if (error instanceof ImportError) return problemLines(error).headline;
        throw error;
      },
    );
    if (unreadable) return renderSource(request, reply, source, fieldError('file', unreadable));
    const id = await storeUpload(db(), source, file, fileName, actorOf(request));
    return reply.redirect(sourcePath(request.organisation!.slug, source.id, `/uploads/${id}`), 303);
  });

  // ---- Checking a file's columns, then importing it -----------------------------------------------------------

  const renderCheck = async (request: FastifyRequest, reply: FastifyReply, source: Source, upload: Upload, chosen: SpendMapping | null, errors?: FormErrors, problems?: string[]) => {
    const wealth = wealthContext(request, 'sources');
    let preview;
    try {
      preview = await previewUpload(upload, (chosen ?? source.mapping).supplier);
    } catch (error) {
      if (!(error instanceof ImportError)) throw error;
      const { headline } = problemLines(error);
      preview = { headers: [], rows: [], more: false, unreadable: headline };
    }
    const headers = preview.headers.filter(Boolean);
    const mapping = chosen ?? offeredMapping(source, headers);
    return reply.page(
      'community-wealth/views/source-check.njk',
      {
        pageTitle: `Check the columns: ${source.name}`,
        wealth,
        source,
        upload,
        errors,
        problems,
        unreadable: 'unreadable' in preview ? preview.unreadable : !headers.length ? noTable : null,
        preview: { head: preview.headers.map((h) => ({ text: h || '(no heading)' })), rows: preview.rows.map((r) => r.map((c) => ({ text: c }))), more: preview.more },
        fields: spendFields.map((field) => ({
          field,
          label: `${spendFieldNames[field]}${requiredSpendFields.includes(field) ? '' : ' (optional)'}`,
          required: requiredSpendFields.includes(field),
          items: [{ value: '', text: 'Not in this file', selected: !mapping[field] }, ...headers.map((h) => ({ value: h, text: h, selected: mapping[field] === h }))],
        })),
        remembered: Object.keys(source.mapping).length > 0 && mapping === source.mapping,
        chosenHere: chosen !== null,
        action: sourcePath(wealth.slug, source.id, `/uploads/${upload.id}`),
        backHref: sourcePath(wealth.slug, source.id),
      },
      errors ? 400 : 200,
    );
  };

  const uploadFrom = async (request: FastifyRequest) => {
    const source = await sourceFrom(request);
    const upload = source ? await uploadOf(db(), source, (request.params as { uploadId: string }).uploadId) : null;
    return source && upload ? { source, upload } : null;
  };

  app.get(sourcePath(':slug', ':sourceId', '/uploads/:uploadId'), { config: write, schema: { params: uploadParams } }, async (request, reply) => {
    const found = await uploadFrom(request);
    if (!found) return reply.callNotFound();
    return renderCheck(request, reply, found.source, found.upload, null);
  });

  app.post(sourcePath(':slug', ':sourceId', '/uploads/:uploadId'), { config: write, schema: { params: uploadParams, body: formBody } }, async (request, reply) => {
    const found = await uploadFrom(request);
    if (!found) return reply.callNotFound();
    const { source, upload } = found;
    let headers: string[];
    try {
      headers = (await previewUpload(upload, undefined, 0)).headers.filter(Boolean);
    } catch (error) {
      if (!(error instanceof ImportError)) throw error;
      return renderCheck(request, reply, source, upload, null, { summary: [{ text: problemLines(error).headline, href: '#problems' }], fields: {} });
    }
    const { mapping, errors } = readMappingForm(request.body as Form, headers);
    if (errors) return renderCheck(request, reply, source, upload, mapping, errors);
    try {
      const report = await importUpload(db(), source, upload, mapping, actorOf(request));
      return reply.flash(`The file has been imported: ${report.paymentsAdded.toLocaleString('en-GB')} payments added`).redirect(sourcePath(request.organisation!.slug, source.id, `/imports/${report.importId}`), 303);
    } catch (error) {
      if (!(error instanceof ImportError)) throw error;
      const { headline, lines } = problemLines(error);
      const summary: FormErrors = { summary: [{ text: headline, href: '#problems' }], fields: {} };
      return renderCheck(request, reply, source, upload, mapping, summary, lines);
    }
  });

  // ---- What an import held ------------------------------------------------------------------------------------

  app.get(sourcePath(':slug', ':sourceId', '/imports/:importId'), { config: read, schema: { params: importParams } }, async (request, reply) => {
    const { sourceId, importId } = request.params as { sourceId: string; importId: string };
    const found = await importOf(db(), orgId(request), sourceId, importId);
    if (!found) return reply.callNotFound();
    const wealth = wealthContext(request, 'sources');
    return reply.page('community-wealth/views/source-import.njk', {
      pageTitle: `Import report: ${found.sourceName}`,
      wealth,
      report: importView(wealth.slug, found),
      sourceHref: sourcePath(wealth.slug, sourceId),
      dashboardHref: wealthPath(wealth.slug),
      suppliersHref: suppliersPath(wealth.slug),
    });
  });
};
